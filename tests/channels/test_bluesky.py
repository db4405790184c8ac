"""The Bluesky channel against a REAL local network from ``@atproto/dev-env``.

``bluesky_peer`` (tests/peers/bluesky.py) runs the Bluesky team's own test
network: PLC, PDS and the AppView that computes notifications and threads
(needs Node, npm, PostgreSQL and Redis; skipped locally without them, required
in CI). Accounts, posts, replies, likes and follows are made through the real
XRPC API with the ``atproto`` SDK.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from atproto import client_utils, models
from django.conf import settings

from rapport.channels.models import Channel, ChannelStatus
from rapport.channels.records import ReplyTarget
from rapport.channels.services import add_channel, open_channel
from rapport.channels.sync import sync_channel
from rapport.inbox.models import Item, Signal
from rapport.publish.models import Post
from tests.peers.bluesky import *  # noqa: F403

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _fresh_backoffs() -> None:
    settings.HUEY.storage.flush_results()


@pytest.fixture
def bakery(bluesky_peer: Any, request: Any) -> dict[str, Any]:
    """A fresh owner account and two readers for each test (handles are unique per test)."""
    tag = str(abs(hash(request.node.name)) % 10**8)
    owner = bluesky_peer.account(f"bakery{tag}.test")
    alice = bluesky_peer.account(f"alice{tag}.test")
    bob = bluesky_peer.account(f"bob{tag}.test")
    bluesky_peer.process()
    return {"owner": owner, "alice": alice, "bob": bob}


def channel_for(workspace: Any, peer: Any, account: dict[str, Any], **secrets: Any) -> Channel:
    return add_channel(
        workspace=workspace,
        kind="bluesky",
        name="Bluesky",
        config={"handle": account["handle"], "service": peer.pds},
        secrets={"app_password": account["app_password"], **secrets},
    )


def wait_for_notifications(peer: Any, client: Any, count: int) -> None:
    """The AppView writes notifications a moment after indexing: wait for them, bounded."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        peer.process()
        seen = client.app.bsky.notification.list_notifications(params={"limit": 100})
        if len(seen.notifications) >= count:
            return
        time.sleep(0.5)
    raise AssertionError(f"the AppView did not produce {count} notifications in 30 s")


def ref(created: Any) -> Any:
    return models.create_strong_ref(created)


def test_mentions_replies_quotes_are_threaded_items_and_the_rest_signals(
    workspace, bluesky_peer, bakery
):
    owner = bluesky_peer.client(bakery["owner"]["handle"])
    alice = bluesky_peer.client(bakery["alice"]["handle"])
    bob = bluesky_peer.client(bakery["bob"]["handle"])
    me = bakery["owner"]["did"]
    post = owner.send_post("Rye is back on Sundays", profile_identify=me)
    bluesky_peer.process()  # the AppView indexes repos in parallel: a reply needs its parent
    root = models.AppBskyFeedPost.ReplyRef(parent=ref(post), root=ref(post))
    question = alice.send_post(
        "Is it gluten free?",
        reply_to=root,
        profile_identify=bakery["alice"]["did"],
    )
    bluesky_peer.process()
    # Bluesky notifies the parent's author only: a reply deeper in the thread reaches the
    # owner when it @-mentions them (it then arrives as reason "mention", with a reply ref).
    follow_up = bob.send_post(
        client_utils.TextBuilder().text("Same question, ").mention("@bakery", me),
        reply_to=models.AppBskyFeedPost.ReplyRef(parent=ref(question), root=ref(post)),
        profile_identify=bakery["bob"]["did"],
    )
    mention = client_utils.TextBuilder().text("Do you deliver, ").mention("@bakery", me).text("?")
    alice.send_post(mention, profile_identify=bakery["alice"]["did"])
    alice.send_post(
        "Best rye in town",
        embed=models.AppBskyEmbedRecord.Main(record=ref(post)),
        profile_identify=bakery["alice"]["did"],
    )
    alice.like(post.uri, post.cid)
    bob.repost(post.uri, post.cid)
    bob.follow(me)
    wait_for_notifications(bluesky_peer, owner, 7)

    channel = channel_for(workspace, bluesky_peer, bakery["owner"])
    summary = sync_channel(channel_id=channel.pk)
    assert (summary.outcome, summary.items_created, summary.signals_created) == ("ok", 4, 3)
    own = Post.objects.get(source_id=post.uri)
    kinds = sorted(Item.objects.values_list("kind", flat=True))
    assert kinds == ["mention", "quote", "reply", "reply"]
    first = Item.objects.get(source_id=question.uri)
    second = Item.objects.get(source_id=follow_up.uri)
    assert first.post == own and first.parent is None and first.text == "Is it gluten free?"
    assert second.parent == first and second.post == own
    assert Item.objects.get(kind="quote").post == own
    assert sorted(Signal.objects.values_list("kind", flat=True)) == ["boost", "follow", "like"]
    assert sync_channel(channel_id=channel.pk).items_created == 0


def test_reply_is_threaded_with_a_proper_reply_ref_and_posted_once(workspace, bluesky_peer, bakery):
    owner = bluesky_peer.client(bakery["owner"]["handle"])
    alice = bluesky_peer.client(bakery["alice"]["handle"])
    post = owner.send_post("New spelt loaf", profile_identify=bakery["owner"]["did"])
    bluesky_peer.process()
    root = models.AppBskyFeedPost.ReplyRef(parent=ref(post), root=ref(post))
    question = alice.send_post("Price?", reply_to=root, profile_identify=bakery["alice"]["did"])
    wait_for_notifications(bluesky_peer, owner, 1)
    channel = channel_for(workspace, bluesky_peer, bakery["owner"])
    result = open_channel(channel).reply(ReplyTarget(source_id=question.uri), "Four euros.")
    again = open_channel(channel).reply(ReplyTarget(source_id=question.uri), "Four euros.")
    assert again.remote_id == result.remote_id  # a retry after a lost answer posts nothing new
    record = owner.com.atproto.repo.get_record(
        params={
            "repo": bakery["owner"]["did"],
            "collection": "app.bsky.feed.post",
            "rkey": result.remote_id.rsplit("/", 1)[1],
        }
    ).value
    assert record.text == "Four euros."
    assert (record.reply.parent.uri, record.reply.root.uri) == (question.uri, post.uri)


def test_rotated_session_is_saved_encrypted(workspace, bluesky_peer, bakery):
    channel = channel_for(workspace, bluesky_peer, bakery["owner"])
    assert sync_channel(channel_id=channel.pk).outcome == "ok"  # logs in with the app password
    channel.refresh_from_db()
    first = channel.get_secrets()["session"]
    assert first and first not in channel.secrets_encrypted  # stored encrypted

    plugin = open_channel(channel)
    plugin.client._refresh_and_set_session()  # what the SDK does when the access token ages
    channel.refresh_from_db()
    second = channel.get_secrets()["session"]
    assert second != first

    # (the PDS accepts a retired refresh token for a grace period, so its death is not
    # observable here; what matters is that the new one was saved before anyone needs it)
    assert sync_channel(channel_id=channel.pk).outcome == "ok"  # polls with the saved session


def test_wrong_app_password_needs_reconnect(workspace, bluesky_peer, bakery):
    account = {**bakery["owner"], "app_password": "aaaa-bbbb-cccc-dddd"}
    channel = channel_for(workspace, bluesky_peer, account)
    summary = sync_channel(channel_id=channel.pk)
    channel.refresh_from_db()
    assert summary.outcome == "needs_reconnect" and channel.status == ChannelStatus.NEEDS_RECONNECT
    assert "reconnect Bluesky (Bluesky) at /w/acme/channels/" in channel.status_message
