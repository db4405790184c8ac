"""Images through each door: the web composer (upload, preview, errors), the API and the CLI."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from rapport.cli import build_cli
from rapport.publish.models import Post, PostImage
from tests.publish.images import HTML_AS_PNG, bomb_png, jpeg, png

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def later() -> str:
    return (timezone.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")


def form(channels: list[Any], **extra: Any) -> dict[str, Any]:
    return {
        "body": "Fresh rye today.",
        "channels": [c.pk for c in channels],
        "when": "at",
        "at": later(),
        "action": "schedule",
        **extra,
    }


# --- web composer ----------------------------------------------------------------------------


def test_the_composer_uploads_images_with_alt_text_and_a_per_channel_alt(
    login_as, bluesky, feed_channel
):
    client = login_as("owner")
    page = client.get("/w/acme/publish/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="image_1"' in page
    no_alt = SimpleUploadedFile("bare.png", png(), content_type="image/png")
    answer = client.post(
        "/w/acme/publish/compose/", form([feed_channel], image_1=no_alt), follow=True
    )
    assert "image &#x27;bare.png&#x27; has no alt text on Blog feed" in answer.content.decode()
    Post.objects.all().delete()
    response = client.post(
        "/w/acme/publish/compose/",
        form(
            [bluesky, feed_channel],
            image_1=SimpleUploadedFile("loaf.png", png(30, 20), content_type="image/png"),
            alt_1="A rye loaf",
            image_3=SimpleUploadedFile("shop.jpg", jpeg(), content_type="image/jpeg"),
            alt_3="The shop",
            **{f"alt_3_{bluesky.pk}": "Our shop on Main Street"},
        ),
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    post = Post.objects.get()
    assert [(i.name, i.alt) for i in post.images.all()] == [
        ("loaf.png", "A rye loaf"),
        ("shop.jpg", "The shop"),
    ]
    sky = post.deliveries.get(channel=bluesky)
    assert [m["alt"] for m in sky.media] == ["A rye loaf", "Our shop on Main Street"]
    page = client.get(response["Location"]).content.decode()
    assert 'alt="A rye loaf"' in page and "on Sky: Our shop on Main Street" in page
    feed = post.deliveries.get(channel=feed_channel)
    assert [m["alt"] for m in feed.media] == ["A rye loaf", "The shop"]


def test_a_file_that_is_not_an_image_is_refused_on_its_field(login_as, feed_channel):
    client = login_as("owner")
    response = client.post(
        "/w/acme/publish/compose/",
        form(
            [feed_channel],
            image_1=SimpleUploadedFile("cat.png", HTML_AS_PNG, content_type="image/png"),
        ),
    )
    assert response.status_code == 200
    assert "image &#x27;cat.png&#x27; is not an image Rapport can read" in response.content.decode()
    assert not Post.objects.exists() and not PostImage.objects.exists()


def test_a_decompression_bomb_is_refused_in_the_composer(login_as, feed_channel):
    client = login_as("owner")
    bomb = SimpleUploadedFile("bomb.png", bomb_png(), content_type="image/png")
    response = client.post("/w/acme/publish/compose/", form([feed_channel], image_1=bomb))
    assert b"decompression bomb" in response.content
    assert not Post.objects.exists()


def test_too_large_for_bluesky_shows_at_compose_naming_image_channel_and_limit(login_as, bluesky):
    client = login_as("owner")
    big = SimpleUploadedFile("big.png", png(620, 620, noise=True), content_type="image/png")
    response = client.post("/w/acme/publish/compose/", form([bluesky], image_1=big, alt_1="x"))
    text = response.content.decode()
    assert response.status_code == 200
    assert "image &#x27;big.png&#x27; is too large for Sky" in text and "1,000,000 bytes" in text
    assert not Post.objects.exists()


def test_the_htmx_media_preview_shows_images_alt_text_errors_and_warnings(login_as, bluesky):
    """Picking an image asks for the images part of the preview (typing does not resend them)."""
    client = login_as("owner")
    page = client.get("/w/acme/publish/").content.decode()
    assert 'hx-params="not image_1,image_2,image_3,image_4"' in page  # typing: text only
    assert '"action": "preview_media"' in page and 'hx-target="#media-preview"' in page
    images = {
        f"image_{n}": SimpleUploadedFile(f"{n}.png", png(), content_type="image/png")
        for n in range(1, 5)
    }
    preview = client.post(
        "/w/acme/publish/compose/",
        form([bluesky], action="preview_media", body="", alt_1="A loaf", **images),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert preview.lstrip().startswith('<div id="media-preview"')
    assert "1.png: <em>A loaf</em>" in preview  # before the post has any text
    assert "image &#x27;2.png&#x27; has no alt text on Sky" in preview  # a warning only
    assert 'class="error"' not in preview
    big = SimpleUploadedFile("big.png", png(620, 620, noise=True))
    too_large = client.post(
        "/w/acme/publish/compose/",
        form([bluesky], action="preview_media", image_1=big, alt_1="x"),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "image &#x27;big.png&#x27; is too large for Sky" in too_large
    bad = client.post(
        "/w/acme/publish/compose/",
        form([bluesky], action="preview_media", image_1=SimpleUploadedFile("x.png", HTML_AS_PNG)),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "is not an image Rapport can read" in bad and "<html" not in bad.lower()
    text_only = client.post(
        "/w/acme/publish/compose/",
        form([bluesky], action="preview", alt_1="A loaf"),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert text_only.lstrip().startswith('<div id="preview"') and "Fresh rye today." in text_only


def test_the_preview_names_the_link_a_bluesky_card_will_be_read_from(login_as, bluesky):
    client = login_as("owner")
    preview = client.post(
        "/w/acme/publish/compose/",
        form([bluesky], action="preview", body="New: https://shop.example/rye."),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Link card from https://shop.example/rye" in preview


# --- API --------------------------------------------------------------------------------------


def api_post(client: Any, headers: dict[str, str], data: dict[str, Any]) -> Any:
    return client.post(
        "/api/w/acme/posts/", json.dumps(data), content_type="application/json", **headers
    )


def test_the_api_takes_base64_images_with_alt_text_per_channel(
    client, api_as, bluesky, feed_channel
):
    at = (timezone.now() + timedelta(hours=3)).isoformat()
    data = {
        "body": "Rye",
        "channels": [bluesky.pk, feed_channel.pk],
        "at": at,
        "images": [
            {
                "filename": "loaf.png",
                "data": base64.b64encode(png(30, 20)).decode(),
                "alt": "A rye loaf",
                "alt_per_channel": {str(bluesky.pk): "Rye, sliced"},
            }
        ],
    }
    r = api_post(client, api_as("editor"), data)
    assert r.status_code == 201, r.content
    body = r.json()
    [image] = body["images"]
    assert (image["alt"], image["content_type"], image["width"]) == ("A rye loaf", "image/png", 30)
    assert image["url"].endswith(".png") and "/m/" in image["url"]
    alts = {d["channel"]: d["media"][0]["alt"] for d in body["deliveries"]}
    assert alts == {"Sky": "Rye, sliced", "Blog feed": "A rye loaf"}


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ({"filename": "a.png", "data": "not base64!"}, "not base64"),
        (
            {"filename": "a.png", "data": base64.b64encode(HTML_AS_PNG).decode()},
            "not an image Rapport can read",
        ),
    ],
)
def test_the_api_refuses_bad_images_with_422(client, api_as, feed_channel, image, message):
    data = {"body": "x", "channels": [feed_channel.pk], "images": [image]}
    r = api_post(client, api_as("editor"), data)
    assert r.status_code == 422 and message in r.json()["detail"]
    assert r.json()["field"] == "images"
    assert not Post.objects.exists()


def test_the_api_refuses_five_images_for_bluesky(client, api_as, bluesky):
    image = {"filename": "a.png", "data": base64.b64encode(png()).decode(), "alt": "a"}
    r = api_post(
        client, api_as("editor"), {"body": "x", "channels": [bluesky.pk], "images": [image] * 5}
    )
    assert r.status_code == 422 and "Sky takes at most 4 images" in r.json()["detail"]


def test_an_api_request_over_the_body_limit_is_413_with_what_to_do(client, api_as, feed_channel):
    image = {"filename": "a.png", "data": base64.b64encode(b"x" * 6_000_000).decode()}
    r = api_post(
        client, api_as("editor"), {"body": "x", "channels": [feed_channel.pk], "images": [image]}
    )
    assert r.status_code == 413 and "larger than 5 MB" in r.json()["detail"]
    assert not Post.objects.exists()


# --- CLI --------------------------------------------------------------------------------------


def test_the_cli_attaches_images_with_alt_text(workspace, feed_channel, bluesky, tmp_path):
    (tmp_path / "news.md").write_text("# Rye\n\nFresh rye today.\n")
    (tmp_path / "loaf.png").write_bytes(png(30, 20))
    (tmp_path / "shop.jpg").write_bytes(jpeg())
    result = CliRunner().invoke(
        build_cli(),
        [
            "posts", "create", str(tmp_path / "news.md"),
            "--workspace", "acme", "--channels", "Blog feed,Sky",
            "--image", f"{tmp_path / 'loaf.png'}:A rye loaf: dark, sliced",
            "--image", str(tmp_path / "shop.jpg"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    post = Post.objects.get()
    assert [(i.name, i.alt) for i in post.images.all()] == [
        ("loaf.png", "A rye loaf: dark, sliced"),
        ("shop.jpg", ""),
    ]
    assert "Warning: image 'shop.jpg' has no alt text on Blog feed, Sky" in result.output


def test_the_cli_refuses_a_renamed_html_file_with_exit_code_2(workspace, feed_channel, tmp_path):
    (tmp_path / "news.md").write_text("Fresh rye.\n")
    (tmp_path / "cat.png").write_bytes(HTML_AS_PNG)
    result = CliRunner().invoke(
        build_cli(),
        [
            "posts", "create", str(tmp_path / "news.md"), "--workspace", "acme",
            "--channels", "Blog feed", "--image", f"{tmp_path / 'cat.png'}:A cat",
        ],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "'cat.png' is not an image Rapport can read" in result.output
    assert not Post.objects.exists()
