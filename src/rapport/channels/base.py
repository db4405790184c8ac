"""The channel interface: capability attributes and a few verbs.

A channel class is constructed per use with its ``config``, decrypted
``secrets`` and an injected ``httpx.Client``, so tests can hand it a mock
transport or a client pointed at a local peer.

    class Mastodon(Channel):
        kind = "mastodon"
        max_length = 500
        can_reply = True
        def fetch(self, cursor): ...
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from rapport.channels.records import FetchResult, OutboundPost, PublishResult, ReplyTarget


class Channel:
    kind: ClassVar[str]
    label: ClassVar[str] = ""
    max_length: ClassVar[int | None] = None
    can_fetch: ClassVar[bool] = False
    can_publish: ClassVar[bool] = False
    can_reply: ClassVar[bool] = False
    can_dm: ClassVar[bool] = False
    needs_credentials: ClassVar[bool] = False
    config_fields: ClassVar[tuple[str, ...]] = ()
    secret_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        *,
        config: dict[str, Any],
        secrets: dict[str, Any],
        http: httpx.Client | None = None,
        channel_id: int | None = None,
    ) -> None:
        self.config = config
        self.secrets = secrets
        self.http = http or httpx.Client(timeout=20.0, follow_redirects=False)
        self.channel_id = channel_id

    @classmethod
    def validate_config(cls, config: dict[str, Any], secrets: dict[str, Any]) -> None:
        """Raise ``ValidationError`` naming the bad field; called when a channel is added."""

    def fetch(self, cursor: str) -> FetchResult:
        """Return records newer than ``cursor`` and the cursor to resume from."""
        raise NotImplementedError(f"{self.kind} channels do not fetch")

    def publish(self, post: OutboundPost) -> PublishResult:
        """Publish ``post``; must be safe to call again with the same idempotency key."""
        raise NotImplementedError(f"{self.kind} channels do not publish")

    def find_published(self, post: OutboundPost) -> PublishResult | None:
        """Look the post up on the platform (by idempotency key) after a lost answer."""
        return None

    def reply(self, target: ReplyTarget, text: str) -> PublishResult:
        raise NotImplementedError(f"{self.kind} channels cannot reply")
