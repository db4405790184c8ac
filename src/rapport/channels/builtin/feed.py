"""The workspace's own Atom feed as a channel (kind ``feed``).

Publishing to the feed is local: a delivery that reaches ``sent`` is an entry
of ``/feeds/<workspace>.atom`` (built in ``rapport.publish.feed``). So
``publish`` only names the entry, and ``find_published`` can always answer:
after a crash the entry is confirmed, never written twice.
"""

from __future__ import annotations

from typing import Any

from rapport.channels.base import Channel
from rapport.channels.records import OutboundPost, PublishResult
from rapport.hookspecs import hookimpl


class FeedChannel(Channel):
    kind = "feed"
    label = "Atom feed"
    max_length = None
    can_fetch = False
    can_publish = True
    can_reply = False
    can_dm = False
    needs_credentials = False
    idempotent_publish = True
    config_fields = ()
    secret_fields = ()

    @staticmethod
    def entry_id(idempotency_key: str) -> str:
        """The Atom entry id: stable across retries, unique per delivery."""
        return f"urn:uuid:{idempotency_key}"

    def publish(self, post: OutboundPost) -> PublishResult:
        return PublishResult(remote_id=self.entry_id(post.idempotency_key), remote_url=post.url)

    def find_published(self, post: OutboundPost) -> PublishResult | None:
        return self.publish(post)

    @classmethod
    def validate_config(cls, config: dict[str, Any], secrets: dict[str, Any]) -> None:
        return None


@hookimpl
def register_channels(register: Any) -> None:
    register(FeedChannel)
