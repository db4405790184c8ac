"""``FakeChannel``: an in-memory platform for tests, shipped like httpx's MockTransport.

Channels are constructed per use, so the platform's state lives in a
:class:`FakePlatform` looked up by ``config["platform"]`` (default
``"default"``). A test tells the platform to fail in each of the ways a real one
does, then reads back what was published, exactly once or not::

    platform = FakePlatform.get("t1")
    platform.fail_next(RateLimited("slow down", retry_after=30))
    platform.lose_answer_next()        # publish happens, then the answer is lost
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rapport.channels.base import Channel
from rapport.channels.records import (
    FetchResult,
    OutboundPost,
    PublishResult,
    Record,
    ReplyTarget,
)
from rapport.errors import ChannelError, TemporaryChannelError
from rapport.hookspecs import hookimpl


@dataclass
class FakePlatform:
    """One fake account: what was published, replied and queued for fetching."""

    name: str
    published: list[OutboundPost] = field(default_factory=list)
    replies: list[tuple[ReplyTarget, str]] = field(default_factory=list)
    inbound: list[Record] = field(default_factory=list)
    failures: list[ChannelError] = field(default_factory=list)
    lose_answers: int = 0
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    _all: ClassVar[dict[str, FakePlatform]] = {}
    _ids: ClassVar[itertools.count[int]] = itertools.count(1)

    @classmethod
    def get(cls, name: str = "default") -> FakePlatform:
        return cls._all.setdefault(name, cls(name))

    @classmethod
    def reset(cls) -> None:
        cls._all.clear()

    def fail_next(self, *errors: ChannelError) -> None:
        """The next calls raise these errors, in order, before touching the platform."""
        self.failures.extend(errors)

    def lose_answer_next(self, times: int = 1) -> None:
        """The next publishes succeed on the platform but the caller sees a timeout."""
        self.lose_answers += times

    def by_key(self, key: str) -> OutboundPost | None:
        return next((p for p in self.published if p.idempotency_key == key), None)


class FakeChannel(Channel):
    kind = "fake"
    label = "Fake (tests)"
    max_length = 500
    can_fetch = True
    can_publish = True
    can_reply = True
    can_dm = False
    can_thread = True
    needs_credentials = False
    idempotent_publish = True
    config_fields = ("platform",)
    secret_fields = ()

    @property
    def platform(self) -> FakePlatform:
        return FakePlatform.get(str(self.config.get("platform", "default")))

    def _maybe_fail(self, platform: FakePlatform) -> None:
        platform.calls += 1
        if platform.failures:
            raise platform.failures.pop(0)

    def fetch(self, cursor: str) -> FetchResult:
        platform = self.platform
        with platform.lock:
            self._maybe_fail(platform)
            start = int(cursor or 0)
            return FetchResult(records=platform.inbound[start:], cursor=str(len(platform.inbound)))

    def publish(self, post: OutboundPost) -> PublishResult:
        platform = self.platform
        with platform.lock:
            self._maybe_fail(platform)
            if platform.by_key(post.idempotency_key) is None:  # the platform dedups by key
                platform.published.append(post)
            if platform.lose_answers:
                platform.lose_answers -= 1
                raise TemporaryChannelError("timed out waiting for the platform's answer")
            return self._result(post)

    def find_published(self, post: OutboundPost) -> PublishResult | None:
        platform = self.platform
        with platform.lock:
            found = platform.by_key(post.idempotency_key)
            return self._result(found) if found else None

    def reply(self, target: ReplyTarget, text: str) -> PublishResult:
        platform = self.platform
        with platform.lock:
            self._maybe_fail(platform)
            platform.replies.append((target, text))
            return PublishResult(remote_id=f"reply-{len(platform.replies)}")

    def _result(self, post: OutboundPost) -> PublishResult:
        remote_id = f"fake-{post.idempotency_key}"
        return PublishResult(remote_id=remote_id, remote_url=f"https://fake.example/{remote_id}")

    @classmethod
    def validate_config(cls, config: dict[str, Any], secrets: dict[str, Any]) -> None:
        return None


@hookimpl
def register_channels(register: Any) -> None:
    register(FakeChannel)
