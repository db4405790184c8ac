"""The Mastodon channel against mastodon-mock, and recorded payloads where it differs.

``mastodon-mock`` (PyPI) is a STATEFUL MOCK of the Mastodon REST API, not a
real Mastodon server: its accounts post, reply, favourite and follow, and its
notifications page with real ``Link`` headers, but its content HTML is plain
and its ``X-RateLimit-Reset`` is epoch seconds. What real servers send instead
(``<span class="h-card">`` mentions, ``class="mention hashtag"`` links, ISO
8601 resets, quote notifications) is replayed from ``tests/fixtures/mastodon``
over a loopback HTTP server, one test per payload.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from django.conf import settings

from rapport.channels.models import ChannelStatus
from rapport.channels.platforms import mastodon as mastodon_module
from rapport.channels.platforms import mastodon_records
from rapport.channels.platforms.mastodon import MastodonChannel
from rapport.channels.records import ItemRecord, ReplyTarget, SkippedRecord
from rapport.channels.services import add_channel
from rapport.channels.sync import sync_channel
from rapport.inbox.models import Item, Signal
from rapport.publish.models import Post
from tests.peers.http import Answer, Replay, fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_backoffs() -> None:
    settings.HUEY.storage.flush_results()


@pytest.fixture
def conversation(mastodon_mock_server: Any) -> dict[str, Any]:
    """On the mock, bob writes to alice in every way one can; alice owns the channel."""
    alice, bob = mastodon_mock_server.client("alice"), mastodon_mock_server.client("bob")
    post = alice.status_post("Sourdough is back on Sundays #bakery")
    ids = {
        "post": post["id"],
        "reply": bob.status_post("@alice two loaves please?", in_reply_to_id=post["id"])["id"],
        "mention": bob.status_post("hey @alice do you deliver?")["id"],
        "dm": bob.status_post("@alice my order never came", visibility="direct")["id"],
    }
    bob.status_favourite(post["id"])
    bob.status_reblog(post["id"])
    bob.account_follow(alice.me()["id"])
    return {k: str(v) for k, v in ids.items()}


def channel_for(workspace: Any, base_url: str, token: str = "alice_token", **config: Any) -> Any:
    return add_channel(
        workspace=workspace,
        kind="mastodon",
        name="Mastodon",
        config={"base_url": base_url, **config},
        secrets={"access_token": token},
    )


def fault(server: Any, **rule: Any) -> None:
    httpx.post(f"{server.base_url}/api/v1/_mock/faults", json=rule).raise_for_status()


def test_mentions_replies_and_dms_are_items_the_rest_signals(
    workspace, mastodon_mock_server, conversation
):
    channel = channel_for(workspace, mastodon_mock_server.base_url)
    summary = sync_channel(channel_id=channel.pk)
    assert (summary.outcome, summary.items_created, summary.signals_created) == ("ok", 3, 3)
    kinds = {i.source_id: i.kind for i in Item.objects.all()}
    c = conversation
    assert kinds == {c["reply"]: "reply", c["mention"]: "mention", c["dm"]: "message"}
    post = Post.objects.get(source_id=c["post"])
    assert Item.objects.get(source_id=c["reply"]).post == post
    assert sorted(Signal.objects.values_list("kind", flat=True)) == ["boost", "follow", "like"]
    assert Signal.objects.filter(kind="like").get().post == post
    assert sync_channel(channel_id=channel.pk).fetched == 0  # the cursor holds


def test_pages_through_link_headers_and_resumes_from_the_cursor(
    workspace, mastodon_mock_server, conversation, monkeypatch
):
    monkeypatch.setattr(mastodon_module, "PAGE", 2)
    monkeypatch.setattr(MastodonChannel, "max_pages", 1)  # one page of two a poll
    channel = channel_for(workspace, mastodon_mock_server.base_url)
    seen = [sync_channel(channel_id=channel.pk).fetched for _ in range(5)]
    # reply+mention, dm+like (+ the liked post), boost (+ the post again)+follow, then nothing
    assert seen == [2, 3, 3, 0, 0]
    assert Item.objects.count() == 3 and Signal.objects.count() == 3


def test_a_reply_to_a_dm_stays_direct_and_posts_once(workspace, mastodon_mock_server, conversation):
    plugin = MastodonChannel(
        config={"base_url": mastodon_mock_server.base_url},
        secrets={"access_token": "alice_token"},
        channel_id=7,
    )
    target = ReplyTarget(source_id=conversation["dm"])
    first = plugin.reply(target, "Sorry! A new one is on its way.")
    again = plugin.reply(target, "Sorry! A new one is on its way.")  # a retry after a lost answer
    assert again.remote_id == first.remote_id  # Idempotency-Key
    status = mastodon_mock_server.client("bob").status(first.remote_id)
    assert status["visibility"] == "direct" and str(status["in_reply_to_id"]) == conversation["dm"]
    assert "@bob Sorry!" in status["content"]


def test_rate_limit_fault_backs_off_without_moving_the_cursor(
    workspace, mastodon_mock_server, conversation
):
    fault(
        mastodon_mock_server, match={"path": "/api/v1/notifications"}, effect={"type": "ratelimit"}
    )
    channel = channel_for(workspace, mastodon_mock_server.base_url)
    summary = sync_channel(channel_id=channel.pk)
    assert (summary.outcome, summary.retry_after) == ("rate_limited", 300)  # Retry-After: 300
    channel.refresh_from_db()
    assert channel.cursor == "" and Item.objects.count() == 0


@pytest.mark.parametrize(
    "effect",
    [
        {"type": "status", "status": 502},
        {"type": "malformed"},
        {"type": "latency", "delay_ms": 6000},
    ],
    ids=["bad-gateway", "truncated-json", "timeout"],
)
def test_faults_lose_nothing_and_the_next_poll_resumes(
    workspace, mastodon_mock_server, conversation, effect
):
    fault(mastodon_mock_server, match={"path": "/api/v1/notifications"}, effect=effect, count=1)
    channel = channel_for(workspace, mastodon_mock_server.base_url, timeout=3)
    failed = sync_channel(channel_id=channel.pk)
    assert failed.outcome == "failed" and Item.objects.count() == 0
    settings.HUEY.storage.flush_results()  # the back-off has run out
    assert sync_channel(channel_id=channel.pk).items_created == 3


def test_revoked_token_marks_the_channel_for_reconnect(workspace, mastodon_mock_server):
    channel = channel_for(workspace, mastodon_mock_server.base_url, token="revoked")
    summary = sync_channel(channel_id=channel.pk)
    channel.refresh_from_db()
    assert summary.outcome == "needs_reconnect" == channel.status.replace("needs_", "needs_")
    assert channel.status == ChannelStatus.NEEDS_RECONNECT
    assert "reconnect Mastodon (Mastodon) at /w/acme/channels/" in channel.status_message


# --- recorded payloads from real Mastodon servers, replayed over loopback HTTP -------------


def replay(notifications: Any, **headers: str) -> Replay:
    server = Replay()
    owner = fixture("mastodon", "verify_credentials.json")
    server.route("GET", "/api/v1/accounts/verify_credentials", lambda r: Answer(body=owner))
    empty = Answer(body=[])
    first = Answer(200, dict(headers), notifications)
    server.route(
        "GET",
        "/api/v1/notifications",
        lambda r: first if r.query.get("min_id") == "0" else empty,
    )
    return server


def fetch_recorded(name: str) -> list[Any]:
    with replay(fixture("mastodon", name)) as server:
        plugin = MastodonChannel(config={"base_url": server.url}, secrets={"access_token": "t"})
        return plugin.fetch("").records


def test_real_hcard_mention_and_hashtag_read_as_plain_text(workspace):
    with replay(fixture("mastodon", "mention_with_hcard.json")) as server:
        channel = channel_for(workspace, server.url)
        assert sync_channel(channel_id=channel.pk).items_created == 1
    item = Item.objects.get()
    assert item.kind == "mention"
    assert item.text == "@rapport_bakery do you still bake #sourdough on Sundays?"
    assert item.author.key == "baker_fan@mastodon.social"


def test_real_reply_to_own_post_points_at_the_post():
    [record] = fetch_recorded("reply_to_own_post.json")
    assert isinstance(record, ItemRecord) and record.kind == "reply"
    assert (record.post_source_id, record.parent_source_id) == ("113520000000000001", "")


def test_real_reply_in_someone_elses_thread_points_at_its_parent():
    [record] = fetch_recorded("reply_in_a_thread.json")
    assert isinstance(record, ItemRecord) and record.kind == "reply"
    assert (record.parent_source_id, record.post_source_id) == ("113520000000000099", "")


def test_real_direct_message_is_a_message():
    [record] = fetch_recorded("direct_message.json")
    assert isinstance(record, ItemRecord) and record.kind == "message"
    assert record.signals == {"visibility": "direct"}


def test_real_quote_points_at_the_quoted_post():
    [record] = fetch_recorded("quote.json")
    assert isinstance(record, ItemRecord) and record.kind == "quote"
    assert record.post_source_id == "113520000000000001"


def test_real_favourite_and_follow_are_signals_never_items():
    post, like, follow = fetch_recorded("favourite_and_follow.json")
    assert (post.source_id, like.kind, follow.kind) == ("113520000000000001", "like", "follow")
    assert like.post_source_id == post.source_id and not isinstance(like, ItemRecord)


def test_real_iso_ratelimit_reset_is_honoured(workspace):
    """Real Mastodon answers 429 with an ISO 8601 ``X-RateLimit-Reset`` and no Retry-After."""
    reset = "2099-01-01T00:00:00.000Z"  # far away: the wait is clamped to the maximum
    server = replay([], **{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})
    server.route(
        "GET",
        "/api/v1/notifications",
        lambda r: Answer(
            429,
            {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
            {"error": "Too many requests"},
        ),
    )
    with server:
        channel = channel_for(workspace, server.url)
        summary = sync_channel(channel_id=channel.pk)
    assert summary.outcome == "rate_limited" and summary.retry_after == 24 * 3600


@pytest.mark.parametrize("case", fixture("mastodon", "hostile.json"), ids=lambda c: c["name"])
def test_hostile_notification_is_skipped_with_a_reason(case: dict[str, Any]) -> None:
    [record] = mastodon_records.records(case["payload"], me="1", host="bakery.example")
    assert isinstance(record, SkippedRecord) and record.reason.startswith("mastodon notification")


def test_hostile_notifications_never_stop_a_poll(workspace):
    payloads = [c["payload"] for c in fixture("mastodon", "hostile.json")]
    payloads += fixture("mastodon", "mention_with_hcard.json")
    with replay(payloads) as server:
        channel = channel_for(workspace, server.url)
        summary = sync_channel(channel_id=channel.pk)
    # Mastodon.py itself turns some odd values into usable ones (content 42 becomes "42")
    assert summary.outcome == "ok" and summary.skipped.total() >= len(payloads) - 2
    assert summary.items_created + summary.skipped.total() == len(payloads)
    assert json.loads(channel.__class__.objects.get().cursor) == {"min_id": "50007"}


def test_a_spent_budget_waits_for_the_reset_before_the_next_poll(workspace):
    """A 200 with ``X-RateLimit-Remaining: 0``: keep what came, then wait for the reset."""
    from rapport.channels.sync import is_due

    reset = "2099-01-01T00:00:00.000Z"
    headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    with replay(fixture("mastodon", "mention_with_hcard.json"), **headers) as server:
        channel = channel_for(workspace, server.url)
        summary = sync_channel(channel_id=channel.pk)
    assert (summary.outcome, summary.items_created, summary.retry_after) == ("ok", 1, 24 * 3600)
    channel.refresh_from_db()
    channel.last_synced_at = None
    assert not is_due(channel)


def test_cli_sync_catches_up_in_one_go(workspace, mastodon_mock_server, conversation, monkeypatch):
    from click.testing import CliRunner

    from rapport.cli import build_cli

    monkeypatch.setattr(mastodon_module, "PAGE", 2)
    monkeypatch.setattr(MastodonChannel, "max_pages", 1)  # a poll reads one page of two
    channel = channel_for(workspace, mastodon_mock_server.base_url)
    result = CliRunner().invoke(build_cli(), ["channels", "sync", str(channel.pk)])
    assert result.exit_code == 0, result.output
    assert "ok\t3 new item(s), 3 signal(s), 1 post(s)" in result.output
