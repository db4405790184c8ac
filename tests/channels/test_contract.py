"""One contract, every registered channel class (huey's StorageTests idea).

Each class must declare its capabilities consistently, and each that can be
run here without a remote platform is exercised through the verbs it claims.
Platform channels that need a peer are checked for their declarations only;
their own test modules run them against local peers.
"""

from __future__ import annotations

from typing import Any

import pytest

from rapport.channels.base import Channel
from rapport.channels.records import FetchResult, OutboundPost, PublishResult
from rapport.channels.registry import channel_classes
from tests.publish.fixtures import *  # noqa: F403

ALL = sorted(channel_classes().items())
# Channels that run without a remote peer, with a working config.
RUNNABLE: dict[str, dict[str, Any]] = {
    "fake": {"config": {"platform": "contract"}, "secrets": {}},
    "feed": {"config": {}, "secrets": {}},
}


def outbound(key: str = "5f0c8a9e-0000-4000-8000-000000000001") -> OutboundPost:
    return OutboundPost(
        delivery_id=1, idempotency_key=key, title="T", text="Hello", html="<p>Hello</p>"
    )


@pytest.mark.parametrize(("kind", "cls"), ALL, ids=[k for k, _ in ALL])
class TestChannelContract:
    def test_declares_capabilities(self, kind: str, cls: type[Channel]) -> None:
        assert issubclass(cls, Channel)
        assert cls.kind == kind and kind.isidentifier()
        assert cls.label, "a label for the UI"
        for flag in ("can_fetch", "can_publish", "can_reply", "can_dm", "needs_credentials"):
            assert isinstance(getattr(cls, flag), bool), flag
        assert cls.max_length is None or cls.max_length > 0
        assert isinstance(cls.config_fields, tuple) and isinstance(cls.secret_fields, tuple)
        assert not set(cls.config_fields) & set(cls.secret_fields)
        if cls.needs_credentials:
            assert cls.secret_fields, "credentials need secret fields"

    def test_overrides_the_verbs_it_claims(self, kind: str, cls: type[Channel]) -> None:
        for flag, verb in (("can_fetch", "fetch"), ("can_publish", "publish")):
            if getattr(cls, flag):
                assert getattr(cls, verb) is not getattr(Channel, verb), f"{kind}.{verb}"
        if cls.can_reply:
            assert cls.reply is not Channel.reply


PUBLISHERS = [(k, c) for k, c in ALL if k in RUNNABLE and c.can_publish]
FETCHERS = [(k, c) for k, c in ALL if k in RUNNABLE and c.can_fetch]


@pytest.mark.parametrize(("kind", "cls"), PUBLISHERS, ids=[k for k, _ in PUBLISHERS])
def test_publish_is_idempotent_and_findable(kind: str, cls: type[Channel]) -> None:
    channel = cls(**RUNNABLE[kind])
    first = channel.publish(outbound())
    again = channel.publish(outbound())
    assert isinstance(first, PublishResult) and first.remote_id
    assert again.remote_id == first.remote_id
    found = channel.find_published(outbound())
    assert found is not None and found.remote_id == first.remote_id


@pytest.mark.parametrize(("kind", "cls"), FETCHERS, ids=[k for k, _ in FETCHERS])
def test_fetch_returns_a_resumable_cursor(kind: str, cls: type[Channel]) -> None:
    channel = cls(**RUNNABLE[kind])
    result = channel.fetch("")
    assert isinstance(result, FetchResult) and isinstance(result.cursor, str)
    assert channel.fetch(result.cursor).records == []


def test_webhook_meets_the_publish_contract_against_a_real_peer(settings: Any) -> None:
    """The webhook needs a receiver: run the same publish contract against one on 127.0.0.1."""
    from tests.publish.fixtures import SECRET
    from tests.publish.webhook_peer import WebhookPeer

    settings.RAPPORT_ALLOW_PRIVATE_WEBHOOKS = True
    cls = channel_classes()["webhook"]
    with WebhookPeer(SECRET) as peer:
        channel = cls(
            config={"url": peer.url, "lookup_url": peer.lookup_url}, secrets={"secret": SECRET}
        )
        first = channel.publish(outbound())
        again = channel.publish(outbound())
        assert first.remote_id and again.remote_id == first.remote_id
        found = channel.find_published(outbound())
        assert found is not None and found.remote_id == first.remote_id
        assert channel.find_published(outbound("5f0c8a9e-0000-4000-8000-000000000002")) is None
        assert len(peer.accepted) == 1
