"""Images at compose time: real images only, per-channel limits, alt text per channel, /m/ URLs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from rapport.channels.services import add_channel
from rapport.errors import ValidationError
from rapport.publish.media import MAX_PIXELS, check_image, warnings_for
from rapport.publish.models import Post, PostImage
from rapport.publish.services import compose_post
from tests.publish.images import HTML_AS_PNG, bomb_png, jpeg, png

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def mastodon(workspace: Any) -> Any:
    # port 9 is closed: the instance's limits cannot be read, Mastodon's defaults apply
    return add_channel(
        workspace=workspace,
        kind="mastodon",
        name="Toot",
        config={"base_url": "http://127.0.0.1:9"},
        secrets={"access_token": "t"},
    )


def compose(workspace: Any, channels: list[Any], images: list[Any], **kwargs: Any) -> Post:
    return compose_post(
        workspace=workspace,
        author=None,
        title="",
        body="Fresh rye today.",
        channel_ids=[c.pk for c in channels],
        at=timezone.now() + timedelta(hours=1),
        images=images,
        **kwargs,
    )


# --- the bytes decide -----------------------------------------------------------------------


def test_a_real_image_is_read_from_its_bytes_not_its_name():
    image = check_image("photo.gif", png(40, 30), alt=" A loaf ")
    assert (image.content_type, image.width, image.height, image.alt) == (
        "image/png",
        40,
        30,
        "A loaf",
    )
    assert check_image("x", jpeg()).content_type == "image/jpeg"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (HTML_AS_PNG, "is not an image Rapport can read"),
        (png()[:60], "is not an image Rapport can read"),  # truncated
        (b"", "is empty"),
    ],
    ids=["html-renamed-png", "truncated-png", "empty"],
)
def test_what_is_not_an_image_is_refused_naming_the_file(data: bytes, message: str):
    with pytest.raises(ValidationError, match=message) as caught:
        check_image("rye.png", data)
    assert "'rye.png'" in str(caught.value)


def test_a_decompression_bomb_is_refused_from_its_header():
    bomb = bomb_png(50_000, 50_000)  # 2.5 billion pixels in a few hundred bytes
    assert len(bomb) < 1000
    with pytest.raises(ValidationError, match=r"too many pixels \(a decompression bomb\?\)"):
        check_image("bomb.png", bomb)
    with pytest.raises(ValidationError, match=f"at most {MAX_PIXELS:,} pixels"):
        check_image("big.png", bomb_png(8000, 8000))  # 64 M: under Pillow's own limit, over ours


# --- per-channel limits, at compose time -------------------------------------------------------


def test_an_image_over_one_megabyte_is_refused_for_bluesky_naming_image_channel_and_limit(
    workspace, bluesky, mastodon
):
    big = check_image("big-loaf.png", png(620, 620, noise=True), alt="A big loaf")
    assert big.size > 1_000_000
    with pytest.raises(ValidationError) as caught:
        compose(workspace, [mastodon, bluesky], [big])
    message = str(caught.value)
    assert "'big-loaf.png'" in message and "Sky" in message and "1,000,000 bytes" in message
    assert Post.objects.count() == 0 and PostImage.objects.count() == 0  # nothing half-written
    assert compose(workspace, [mastodon], [big]).images.count() == 1  # Mastodon takes 16 MB


def test_five_images_are_too_many_for_bluesky_and_mastodon(workspace, bluesky, mastodon):
    five = [check_image(f"{i}.png", png(), alt=f"photo {i}") for i in range(5)]
    for channel in (bluesky, mastodon):
        with pytest.raises(ValidationError, match=rf"{channel.name} takes at most 4 images"):
            compose(workspace, [channel], five)


def test_mastodon_alt_text_over_1500_characters_is_refused(workspace, mastodon, bluesky):
    image = check_image("rye.png", png(), alt="a" * 1501)
    with pytest.raises(
        ValidationError, match=r"alt text of image 'rye.png' is too long for Toot: 1,501 of 1,500"
    ):
        compose(workspace, [mastodon], [image])
    assert compose(workspace, [bluesky], [image]).pk  # Bluesky sets no small alt limit


def test_a_per_channel_alt_text_is_checked_against_that_channel(workspace, mastodon, bluesky):
    image = check_image("rye.png", png(), alt="A rye loaf")
    with pytest.raises(ValidationError, match="too long for Toot"):
        compose(
            workspace, [mastodon, bluesky], [image], alt_variants={mastodon.pk: {0: "b" * 1600}}
        )


def test_the_newsletter_limit_is_two_megabytes(workspace):
    letter = add_channel(
        workspace=workspace,
        kind="newsletter",
        name="Letter",
        config={"from_email": "news@bakery.example"},
        secrets={},
    )
    big = check_image("poster.png", png(900, 900, noise=True))
    with pytest.raises(ValidationError, match=r"too large for Letter: .* at most 2,000,000 bytes"):
        compose(workspace, [letter], [big])


def test_mastodon_limits_come_from_the_instance_when_it_reports_them(mastodon_mock_server):
    """mastodon-mock reports 10,485,760 bytes and 16,777,216 pixels (older Mastodon's numbers)."""
    from rapport.channels.platforms.mastodon_publish import MEDIA_LIMITS, read_media_limits

    limits = read_media_limits({"base_url": mastodon_mock_server.base_url}, {}, MEDIA_LIMITS)
    assert (limits.max_images, limits.max_bytes, limits.max_pixels) == (4, 10_485_760, 16_777_216)
    unreachable = read_media_limits({"base_url": "http://127.0.0.1:9"}, {}, MEDIA_LIMITS)
    assert unreachable == MEDIA_LIMITS  # 16 MB, 1,500 characters of alt text


# --- stored, pinned per channel, served ------------------------------------------------------------


def test_alt_text_is_the_same_everywhere_unless_a_channel_has_its_own(
    workspace, bluesky, mastodon, feed_channel, client
):
    images = [
        check_image("loaf.png", png(30, 20), alt="A rye loaf"),
        check_image("shop.jpg", jpeg(), alt="The shop front"),
    ]
    post = compose(
        workspace,
        [bluesky, mastodon, feed_channel],
        images,
        alt_variants={bluesky.pk: {1: "Our shop"}},
    )
    by_channel = {d.channel.name: d for d in post.deliveries.all()}
    stored = list(post.images.all())
    assert [i.alt for i in stored] == ["A rye loaf", "The shop front"]
    assert [m["alt"] for m in by_channel["Sky"].media] == ["A rye loaf", "Our shop"]
    assert [m["alt"] for m in by_channel["Toot"].media] == ["A rye loaf", "The shop front"]
    html = by_channel["Blog feed"].html
    assert 'alt="A rye loaf"' in html and 'alt="The shop front"' in html and "/m/" in html

    loaf = stored[0]
    answer = client.get(f"/m/{loaf.token}.png")
    assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    assert b"".join(answer.streaming_content) == images[0].data
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/m/{loaf.token}.jpg").status_code == 404  # the stored type decides
    assert client.get("/m/nope.png").status_code == 404


def test_alt_text_with_markup_is_escaped_in_html(workspace, feed_channel):
    image = check_image("x.png", png(), alt='"><script>alert(1)</script>')
    post = compose(workspace, [feed_channel], [image])
    html = post.deliveries.get().html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_a_missing_alt_text_is_a_warning_not_an_error(workspace, bluesky):
    image = check_image("x.png", png())
    assert compose(workspace, [bluesky], [image]).pk
    [warning] = warnings_for([image], [""], bluesky)
    assert "'x.png' has no alt text on Sky" in warning


def test_the_engine_hands_the_channel_its_images_with_their_alt_text(workspace, mastodon):
    from rapport.publish.engine import outbound

    image = check_image("loaf.png", png(30, 20), alt="A rye loaf")
    delivery = compose(workspace, [mastodon], [image]).deliveries.get()
    [item] = outbound(delivery).media
    assert (item.alt, item.content_type, item.width, item.height) == (
        "A rye loaf",
        "image/png",
        30,
        20,
    )
    assert item.read() == image.data and item.url.endswith(".png")


def test_the_atom_feed_entry_shows_the_images_with_alt_text(
    workspace, feed_channel, client, settings
):
    import feedparser

    from rapport.publish.engine import run_delivery

    image = check_image("loaf.png", png(30, 20), alt="A rye loaf")
    post = compose(workspace, [feed_channel], [image])
    delivery = post.deliveries.get()
    assert run_delivery(delivery.pk, now=delivery.due_at) == "sent"
    feed = feedparser.parse(client.get("/feeds/acme.atom").content)
    [entry] = feed.entries
    content = entry.content[0].value
    token = post.images.get().token
    assert 'alt="A rye loaf"' in content and f'src="{settings.BASE_URL}/m/{token}.png"' in content


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP"])
def test_where_a_photo_was_taken_is_removed_and_it_stays_upright(kind: str):
    import io

    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90°
    exif[0x010F] = "Phone maker"
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 31.0, 12.0)})
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (120, 80, 40)).save(out, kind, exif=exif.tobytes())
    checked = check_image(f"home.{kind.lower()}", out.getvalue())
    with Image.open(io.BytesIO(checked.data)) as stored:
        kept = stored.getexif()
        assert 0x8825 not in kept and kept.get_ifd(0x8825) == {}
        assert kept[0x0112] == 6 and stored.size == (40, 30)


def test_a_photo_without_a_location_is_kept_byte_for_byte():
    data = jpeg()
    assert check_image("a.jpg", data).data == data


# --- files nothing refers to ------------------------------------------------------------------


def test_the_nightly_sweep_deletes_only_old_files_that_nothing_refers_to(workspace, bluesky):
    import os
    import time

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from rapport.publish import tasks

    post = compose(workspace, [bluesky], [check_image("a.png", png(40, 30), alt="A loaf")])
    [image] = post.images.all()
    delivery = post.deliveries.get()
    card = default_storage.save("cards/kept.png", ContentFile(png()))
    delivery.card = {"uri": "https://bakery.example/rye", "thumb": card}
    delivery.save(update_fields=["card"])
    left_by_failed_compose = default_storage.save("posts/zz/orphan.png", ContentFile(png()))
    left_card = default_storage.save("cards/orphan.png", ContentFile(png()))
    being_composed = default_storage.save("posts/zz/fresh.png", ContentFile(png()))
    two_days_ago = time.time() - 2 * 86400
    for path in (image.file.name, card, left_by_failed_compose, left_card):
        os.utime(default_storage.path(path), (two_days_ago, two_days_ago))

    assert tasks.sweep_orphan_media.call_local() == 2
    assert not default_storage.exists(left_by_failed_compose)
    assert not default_storage.exists(left_card)
    for kept in (image.file.name, card, being_composed):
        assert default_storage.exists(kept)

    post.delete()  # its image and its delivery's card picture go at the next sweep
    assert tasks.sweep_orphan_media.call_local() == 2
    assert not default_storage.exists(image.file.name) and not default_storage.exists(card)
    assert default_storage.exists(being_composed)


def test_the_sweep_with_nothing_stored_yet_does_nothing():
    from rapport.publish.media import sweep_orphans

    assert sweep_orphans(now=timezone.now()) == 0
