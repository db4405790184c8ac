"""Publishing to Bluesky against a REAL local network from ``@atproto/dev-env``.

``bluesky_peer`` (tests/peers/bluesky.py) runs the Bluesky team's own PDS and
AppView (slow: needs Node, PostgreSQL and Redis; skipped locally without them,
required in CI). What we publish is read back from the PDS with ``getRecord``
and ``listRecords`` and, for threads, from the AppView.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from rapport.channels.platforms.bluesky import POSTS, BlueskyChannel, post_rkey
from rapport.channels.records import OutboundPost
from rapport.errors import PermanentChannelError
from tests.peers.bluesky import *  # noqa: F403

pytestmark = [pytest.mark.slow]
KEY = "5f0c8a9e-0000-4000-8000-00000000bbbb"


@pytest.fixture(autouse=True)
def _fresh_backoffs() -> None:
    settings.HUEY.storage.flush_results()


@pytest.fixture
def accounts(bluesky_peer: Any, request: Any) -> dict[str, Any]:
    tag = str(abs(hash(request.node.name)) % 10**8)
    owner = bluesky_peer.account(f"shop{tag}.test")
    ana = bluesky_peer.account(f"ana{tag}.test")
    bluesky_peer.process()
    return {"owner": owner, "ana": ana}


def plugin(peer: Any, account: dict[str, Any]) -> BlueskyChannel:
    return BlueskyChannel(
        config={"handle": account["handle"], "service": peer.pds},
        secrets={"app_password": account["app_password"]},
        channel_id=5,
    )


def outbound(text: str, *, key: str = KEY, parts: tuple[str, ...] = ()) -> OutboundPost:
    return OutboundPost(
        delivery_id=1, idempotency_key=key, title="", text=text, html="", parts=parts
    )


def records(peer: Any, account: dict[str, Any]) -> list[Any]:
    client = peer.client(account["handle"])
    answer = client.com.atproto.repo.list_records(
        params={"repo": account["did"], "collection": POSTS, "limit": 100}
    )
    return list(answer.records)


def test_post_with_a_link_and_a_mention_has_byte_offset_facets(bluesky_peer, accounts):
    ana = accounts["ana"]
    text = f"Grüße 👋 @{ana['handle']}: fresh rye at https://shop.example/rye today."
    result = plugin(bluesky_peer, accounts["owner"]).publish(outbound(text))
    [record] = records(bluesky_peer, accounts["owner"])
    assert record.uri == result.remote_id and result.remote_url.startswith("https://bsky.app/")
    value = record.value
    assert value.text == text
    raw = text.encode()
    spans = {
        raw[f.index.byte_start : f.index.byte_end].decode(): f.features[0] for f in value.facets
    }
    assert spans[f"@{ana['handle']}"].did == ana["did"]
    assert spans["https://shop.example/rye"].uri == "https://shop.example/rye"


def test_a_retry_with_the_same_key_creates_nothing_new(bluesky_peer, accounts):
    first = plugin(bluesky_peer, accounts["owner"]).publish(outbound("Open on Sunday"))
    again = plugin(bluesky_peer, accounts["owner"]).publish(outbound("Open on Sunday"))
    assert again.remote_id == first.remote_id
    assert first.remote_id.endswith("/" + post_rkey(KEY, 0))
    assert len(records(bluesky_peer, accounts["owner"])) == 1
    found = plugin(bluesky_peer, accounts["owner"]).find_published(outbound("Open on Sunday"))
    assert found is not None and found.remote_id == first.remote_id
    other = outbound("Open on Sunday", key="5f0c8a9e-0000-4000-8000-00000000cccc")
    assert plugin(bluesky_peer, accounts["owner"]).find_published(other) is None


def test_a_thread_has_root_and_parent_refs_and_resumes_without_duplicates(bluesky_peer, accounts):
    parts = ("Winter hours 1/3", "Mon-Fri 7-18 2/3", "Sat 8-12 3/3")
    post = outbound(" ".join(parts), parts=parts)
    channel = plugin(bluesky_peer, accounts["owner"])
    # the first attempt died after part one: a post with only that part's key exists
    cut = channel.publish(outbound(parts[0], parts=(parts[0],)))
    assert channel.find_published(post) is None  # the thread is not all there
    result = plugin(bluesky_peer, accounts["owner"]).publish(post)
    assert result.remote_id == cut.remote_id  # part one was not posted again
    again = plugin(bluesky_peer, accounts["owner"]).publish(post)
    assert again.remote_id == result.remote_id
    by_text = {r.value.text: r for r in records(bluesky_peer, accounts["owner"])}
    assert sorted(by_text) == sorted(parts)
    root, second, third = (by_text[p] for p in parts)
    assert root.value.reply is None
    assert (second.value.reply.root.uri, second.value.reply.parent.uri) == (root.uri, root.uri)
    assert (third.value.reply.root.uri, third.value.reply.parent.uri) == (root.uri, second.uri)
    assert plugin(bluesky_peer, accounts["owner"]).find_published(post).remote_id == root.uri

    bluesky_peer.process()  # the AppView sees one thread of three
    client = bluesky_peer.client(accounts["owner"]["handle"])
    thread = client.app.bsky.feed.get_post_thread(params={"uri": root.uri, "depth": 5}).thread
    assert thread.replies[0].post.record.text == parts[1]
    assert thread.replies[0].replies[0].post.record.text == parts[2]


def test_an_unresolvable_mention_stays_plain_text(bluesky_peer, accounts):
    plugin(bluesky_peer, accounts["owner"]).publish(outbound("Thanks @nobody.invalid.test!"))
    [record] = records(bluesky_peer, accounts["owner"])
    assert not record.value.facets


def test_over_long_text_is_refused_with_the_pds_message(bluesky_peer, accounts):
    with pytest.raises(PermanentChannelError, match="refused it:"):
        plugin(bluesky_peer, accounts["owner"]).publish(outbound("x" * 400))
    assert records(bluesky_peer, accounts["owner"]) == []


def test_meets_the_publish_contract_against_the_pds(bluesky_peer, accounts):
    """tests/channels/test_contract.py's publish contract, run against the live PDS."""
    from tests.channels.test_contract import outbound as contract_post

    channel = plugin(bluesky_peer, accounts["owner"])
    first = channel.publish(contract_post())
    again = channel.publish(contract_post())
    assert first.remote_id and again.remote_id == first.remote_id
    found = channel.find_published(contract_post())
    assert found is not None and found.remote_id == first.remote_id
    assert channel.find_published(contract_post("5f0c8a9e-0000-4000-8000-000000000002")) is None
    assert len(records(bluesky_peer, accounts["owner"])) == 1


@pytest.mark.django_db
def test_through_the_engine_a_lost_answer_is_reconciled_not_resent(
    workspace, bluesky_peer, accounts, monkeypatch
):
    from datetime import UTC, datetime, timedelta

    from rapport.channels.services import add_channel
    from rapport.publish.engine import run_delivery
    from rapport.publish.services import compose_post

    owner = accounts["owner"]
    channel = add_channel(
        workspace=workspace,
        kind="bluesky",
        name="Bluesky",
        config={"handle": owner["handle"], "service": bluesky_peer.pds},
        secrets={"app_password": owner["app_password"]},
    )
    body = " ".join(f"Sentence {i} about our rye 🥖." for i in range(20))  # > 300 graphemes
    at = datetime.now(UTC) + timedelta(minutes=1)
    post = compose_post(
        workspace=workspace, author=None, title="", body=body, channel_ids=[channel.pk], at=at
    )
    delivery = post.deliveries.get()
    assert len(delivery.parts) == 2

    real_create = BlueskyChannel._create_once
    calls = {"n": 0}

    def lost_on_the_last_part(self: Any, repo: str, rkey: str, record: Any) -> Any:
        created = real_create(self, repo, rkey, record)
        calls["n"] += 1
        if calls["n"] == 2:
            from rapport.errors import TemporaryChannelError

            raise TemporaryChannelError("the answer was lost")
        return created

    monkeypatch.setattr(BlueskyChannel, "_create_once", lost_on_the_last_part)
    assert run_delivery(delivery.pk, now=at) == "unconfirmed"
    monkeypatch.setattr(BlueskyChannel, "_create_once", real_create)
    delivery.refresh_from_db()
    assert run_delivery(delivery.pk, now=delivery.due_at) == "sent"
    delivery.refresh_from_db()
    found = records(bluesky_peer, owner)
    assert len(found) == 2 and delivery.remote_id.endswith(
        "/" + post_rkey(str(delivery.idempotency_key), 0)
    )


# --- images and link cards -------------------------------------------------------------------


def blob_bytes(peer: Any, account: dict[str, Any], blob: Any) -> bytes:
    client = peer.client(account["handle"])
    cid = blob.ref.link if hasattr(blob.ref, "link") else str(blob.ref)
    return bytes(client.com.atproto.sync.get_blob(params={"did": account["did"], "cid": cid}))


def test_images_are_uploaded_as_blobs_and_embedded_with_their_alt_text(bluesky_peer, accounts):
    from dataclasses import replace

    from tests.publish.images import jpeg, media_item, png

    loaf, shop = png(60, 40), jpeg(80, 60)
    post = replace(
        outbound("Fresh rye, and the shop"),
        media=(
            media_item("loaf.png", loaf, "A rye loaf"),
            media_item("shop.jpg", shop, "The shop"),
        ),
    )
    first = plugin(bluesky_peer, accounts["owner"]).publish(post)
    again = plugin(bluesky_peer, accounts["owner"]).publish(post)  # a retry: nothing new
    assert again.remote_id == first.remote_id
    [record] = records(bluesky_peer, accounts["owner"])  # read back from the PDS
    embed = record.value.embed
    assert embed.py_type == "app.bsky.embed.images"
    assert [i.alt for i in embed.images] == ["A rye loaf", "The shop"]
    assert [(i.aspect_ratio.width, i.aspect_ratio.height) for i in embed.images] == [
        (60, 40),
        (80, 60),
    ]
    assert [i.image.mime_type for i in embed.images] == ["image/png", "image/jpeg"]
    assert blob_bytes(bluesky_peer, accounts["owner"], embed.images[0].image) == loaf
    assert blob_bytes(bluesky_peer, accounts["owner"], embed.images[1].image) == shop


@pytest.fixture
def shop_page() -> Any:
    """A real HTTP server on 127.0.0.1 with a page carrying OpenGraph tags and a picture."""
    from tests.peers.http import Answer, Replay
    from tests.publish.images import png

    picture = png(120, 63)
    html = (
        "<html><head><title>Rye | Shop</title>"
        '<meta property="og:title" content="Our rye loaf">'
        '<meta property="og:description" content="Baked every Sunday &amp; Wednesday.">'
        '<meta property="og:image" content="/rye.png"></head><body>…</body></html>'
    )
    with Replay() as server:
        server.route("GET", "/rye", lambda r: Answer(200, {"Content-Type": "text/html"}, html))
        server.route(
            "GET", "/rye.png", lambda r: Answer(200, {"Content-Type": "image/png"}, picture)
        )
        server.route("GET", "/broken", lambda r: Answer(500, {}, b"oops"))
        server.picture = picture  # type: ignore[attr-defined]
        yield server


def _bluesky_channel(workspace: Any, peer: Any, owner: dict[str, Any]) -> Any:
    from rapport.channels.services import add_channel

    return add_channel(
        workspace=workspace,
        kind="bluesky",
        name="Bluesky",
        config={"handle": owner["handle"], "service": peer.pds},
        secrets={"app_password": owner["app_password"]},
    )


def _compose_and_send(workspace: Any, channel: Any, body: str, **kwargs: Any) -> Any:
    from datetime import UTC, datetime, timedelta

    from rapport.publish.engine import run_delivery
    from rapport.publish.services import compose_post

    at = datetime.now(UTC) + timedelta(minutes=1)
    post = compose_post(
        workspace=workspace,
        author=None,
        title="",
        body=body,
        channel_ids=[channel.pk],
        at=at,
        **kwargs,
    )
    delivery = post.deliveries.get()
    assert run_delivery(delivery.pk, now=at) == "sent"
    delivery.refresh_from_db()
    return delivery


@pytest.mark.django_db
def test_a_link_without_images_gets_a_card_read_through_the_guard(
    workspace, bluesky_peer, accounts, shop_page, settings, tmp_path
):
    settings.RAPPORT_ALLOW_PRIVATE_WEBHOOKS = True  # the page is on 127.0.0.1
    settings.MEDIA_ROOT = tmp_path
    channel = _bluesky_channel(workspace, bluesky_peer, accounts["owner"])
    link = f"{shop_page.url}/rye"
    delivery = _compose_and_send(workspace, channel, f"New this week: {link}")
    assert delivery.card["title"] == "Our rye loaf"
    [record] = records(bluesky_peer, accounts["owner"])
    external = record.value.embed.external
    assert (external.uri, external.title) == (link, "Our rye loaf")
    assert external.description == "Baked every Sunday & Wednesday."
    assert blob_bytes(bluesky_peer, accounts["owner"], external.thumb) == shop_page.picture


@pytest.mark.django_db
def test_a_page_that_cannot_be_read_leaves_the_post_without_a_card(
    workspace, bluesky_peer, accounts, shop_page, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.RAPPORT_ALLOW_PRIVATE_WEBHOOKS = False  # the guard refuses 127.0.0.1
    channel = _bluesky_channel(workspace, bluesky_peer, accounts["owner"])
    delivery = _compose_and_send(workspace, channel, f"See {shop_page.url}/rye")
    assert delivery.card == {}
    assert not any(r.path == "/rye" for r in shop_page.requests)  # never fetched
    settings.RAPPORT_ALLOW_PRIVATE_WEBHOOKS = True
    delivery = _compose_and_send(workspace, channel, f"And {shop_page.url}/broken")
    assert delivery.card == {}  # HTTP 500: no card, still sent
    assert all(r.value.embed is None for r in records(bluesky_peer, accounts["owner"]))


@pytest.mark.django_db
def test_with_images_a_lost_answer_is_reconciled_and_posts_once(
    workspace, bluesky_peer, accounts, monkeypatch, settings, tmp_path
):
    """Blobs are uploaded before the post exists; the retry after a lost answer must not post twice."""
    from datetime import UTC, datetime, timedelta

    from rapport.errors import TemporaryChannelError
    from rapport.publish.engine import run_delivery
    from rapport.publish.media import check_image
    from rapport.publish.services import compose_post
    from tests.publish.images import png

    settings.MEDIA_ROOT = tmp_path
    channel = _bluesky_channel(workspace, bluesky_peer, accounts["owner"])
    at = datetime.now(UTC) + timedelta(minutes=1)
    post = compose_post(
        workspace=workspace,
        author=None,
        title="",
        body="Sunday loaves",
        channel_ids=[channel.pk],
        at=at,
        images=[check_image("loaf.png", png(50, 50), alt="Three loaves")],
    )
    delivery = post.deliveries.get()
    real_create = BlueskyChannel._create_once

    def created_then_lost(self: Any, repo: str, rkey: str, record: Any) -> Any:
        real_create(self, repo, rkey, record)
        raise TemporaryChannelError("the answer was lost")

    monkeypatch.setattr(BlueskyChannel, "_create_once", created_then_lost)
    assert run_delivery(delivery.pk, now=at) == "unconfirmed"
    monkeypatch.setattr(BlueskyChannel, "_create_once", real_create)
    delivery.refresh_from_db()
    assert run_delivery(delivery.pk, now=delivery.due_at) == "sent"
    [record] = records(bluesky_peer, accounts["owner"])
    assert record.value.embed.images[0].alt == "Three loaves"
