"""The Bluesky channel on answers recorded from a real ``@atproto/dev-env`` network.

These run everywhere (no Node, PostgreSQL or Redis), replayed by a loopback HTTP
server to the real ``atproto`` SDK; ``test_bluesky.py`` covers the same paths
on the live network. Rate limits follow the PDS: ``RateLimit-Reset`` in epoch
seconds and no ``Retry-After``.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings

from rapport.channels.platforms import bluesky_records
from rapport.channels.platforms.bluesky import BlueskyChannel
from rapport.channels.records import ItemRecord, SignalRecord, SkippedRecord
from rapport.channels.services import add_channel
from rapport.channels.sync import sync_channel
from rapport.inbox.models import Item, Signal
from tests.peers.http import Answer, Replay, fixture

pytestmark = pytest.mark.django_db
OWNER = "did:plc:56tbuybmizl34iqzze64ruwb"
POST = f"at://{OWNER}/app.bsky.feed.post/3n2xs4d2jqc2k"


@pytest.fixture(autouse=True)
def _fresh_backoffs() -> None:
    settings.HUEY.storage.flush_results()


def pds(notifications: Answer) -> Replay:
    server = Replay()
    session = fixture("bluesky", "create_session.json")
    session["didDoc"]["service"][0]["serviceEndpoint"] = server.url  # the SDK moves to it
    server.route("POST", "/xrpc/com.atproto.server.createSession", lambda r: Answer(body=session))
    server.route("GET", "/xrpc/app.bsky.notification.listNotifications", lambda r: notifications)
    post = {
        "uri": POST,
        "cid": "bafyreiewjmcbc6yjg77ohyr4d3oj4mszzppky6774kvb5zd4f4teqg7fcq",
        "author": {"did": OWNER, "handle": "bakery3.test"},
        "record": {"text": "Our new bread is out", "createdAt": "2026-11-23T09:14:15.000Z"},
        "indexedAt": "2026-11-23T09:14:15.000Z",
    }
    server.route("GET", "/xrpc/app.bsky.feed.getPosts", lambda r: Answer(body={"posts": [post]}))
    return server


def channel_for(workspace: Any, server: Replay) -> Any:
    return add_channel(
        workspace=workspace,
        kind="bluesky",
        name="Bluesky",
        config={"handle": "bakery3.test", "service": server.url},
        secrets={"app_password": "abcd-efgh-ijkl-mnop"},
    )


def test_recorded_notifications_become_items_signals_and_the_post(workspace):
    with pds(Answer(body=fixture("bluesky", "list_notifications.json"))) as server:
        channel = channel_for(workspace, server)
        summary = sync_channel(channel_id=channel.pk)
    assert (summary.items_created, summary.signals_created, summary.posts_created) == (3, 3, 1)
    assert sorted(Item.objects.values_list("kind", flat=True)) == ["mention", "quote", "reply"]
    reply = Item.objects.get(kind="reply")
    assert reply.text == "Is it gluten free?" and reply.post.source_id == POST
    assert reply.author.key.startswith("did:plc:") and reply.url.startswith("https://bsky.app/")
    assert sorted(Signal.objects.values_list("kind", flat=True)) == ["boost", "follow", "like"]
    channel.refresh_from_db()
    assert '"seen": "2026-11-23T09:14:16.417Z"' in channel.cursor
    assert channel.get_secrets()["session"]  # the new session was saved at once


def test_seen_notifications_are_not_read_twice():
    with pds(Answer(body=fixture("bluesky", "list_notifications.json"))) as server:
        plugin = BlueskyChannel(
            config={"handle": "bakery3.test", "service": server.url},
            secrets={"app_password": "x"},
        )
        cursor = plugin.fetch("").cursor
        again = plugin.fetch(cursor).records
    # only the newest (at the cursor's instant) is read again; ingest drops it as present
    assert [r.source_id for r in again if not hasattr(r, "title")] == [
        "at://did:plc:7le2wrlxrfbtjc2mcugkziyv/app.bsky.feed.repost/3n2xs4e4tfc2k"
    ]


def test_pds_rate_limit_with_epoch_reset_is_honoured(workspace):
    reset = int(time.time()) + 42
    headers = {
        "RateLimit-Limit": "3000",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": str(reset),
        "RateLimit-Policy": "3000;w=300",
        "Content-Type": "application/json",
    }
    limited = Answer(429, headers, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"})
    with pds(limited) as server:
        channel = channel_for(workspace, server)
        summary = sync_channel(channel_id=channel.pk)
    assert summary.outcome == "rate_limited" and 35 <= (summary.retry_after or 0) <= 42
    channel.refresh_from_db()
    assert channel.cursor == ""


def test_expired_token_answer_needs_reconnect(workspace):
    expired = Answer(400, {}, {"error": "ExpiredToken", "message": "Token has been revoked"})
    with pds(expired) as server:
        channel = channel_for(workspace, server)
        summary = sync_channel(channel_id=channel.pk)
    assert summary.outcome == "needs_reconnect" and "ExpiredToken" in summary.message


@pytest.mark.parametrize("case", fixture("bluesky", "hostile.json"), ids=lambda c: c["name"])
def test_hostile_notification_is_skipped_with_a_reason(case: dict[str, Any]) -> None:
    [record] = bluesky_records.records(case["payload"], me=OWNER)
    assert isinstance(record, SkippedRecord) and record.reason.startswith("bluesky notification")


def test_a_mention_that_carries_a_reply_ref_is_a_reply_in_its_thread():
    notification = next(
        n
        for n in fixture("bluesky", "list_notifications.json")["notifications"]
        if n["reason"] == "reply"
    )
    parent = "at://did:plc:other/app.bsky.feed.post/parent"
    notification = {
        **notification,
        "reason": "mention",
        "record": {
            **notification["record"],
            "reply": {**notification["record"]["reply"], "parent": {"uri": parent, "cid": "x"}},
        },
    }
    [record] = bluesky_records.records(notification, me=OWNER)
    assert isinstance(record, ItemRecord) and record.kind == "reply"
    assert (record.parent_source_id, record.post_source_id) == (parent, POST)
    assert not isinstance(record, SignalRecord)


def test_reply_record_keys_are_deterministic_valid_tids():
    key = bluesky_records.reply_rkey(
        "3:at://x/app.bsky.feed.post/1:Thanks!", "2026-11-23T09:14:16Z"
    )
    assert key == bluesky_records.reply_rkey(
        "3:at://x/app.bsky.feed.post/1:Thanks!", "2026-11-23T09:14:16Z"
    )
    assert key != bluesky_records.reply_rkey(
        "3:at://x/app.bsky.feed.post/1:Thanks!!", "2026-11-23T09:14:16Z"
    )
    assert len(key) == 13 and key[0] in "234567abcdefghij"
    assert set(key) <= set(bluesky_records.TID_ALPHABET)
    assert len(bluesky_records.reply_rkey("k", "not a time")) == 13


def _jwt(exp: int) -> str:
    import base64
    import json

    def b64(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    head, body = b64({"typ": "at+jwt", "alg": "ES256K"}), b64({"sub": OWNER, "exp": exp})
    return f"{head}.{body}.c2ln"


def test_a_refused_stored_session_falls_back_to_the_app_password(workspace):
    """No reconnect loop: a retired refresh token is replaced by a new login, then saved."""
    from atproto_client.client.session import Session

    with pds(Answer(body=fixture("bluesky", "list_notifications.json"))) as server:
        expired = {"error": "ExpiredToken", "message": "Token has been revoked"}
        server.route(
            "POST", "/xrpc/com.atproto.server.refreshSession", lambda r: Answer(400, {}, expired)
        )
        old = _jwt(1_000_000_000)  # expired in 2001: the SDK refreshes before any call
        stale = Session("bakery3.test", OWNER, old, old, server.url).encode()
        channel = channel_for(workspace, server)
        channel.set_secrets({"app_password": "abcd-efgh-ijkl-mnop", "session": stale})
        channel.save()
        summary = sync_channel(channel_id=channel.pk)
        paths = [r.path for r in server.requests]
    assert summary.outcome == "ok" and summary.items_created == 3
    assert paths[:2] == [
        "/xrpc/com.atproto.server.refreshSession",
        "/xrpc/com.atproto.server.createSession",
    ]
    channel.refresh_from_db()
    assert channel.get_secrets()["session"] != stale
