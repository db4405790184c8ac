"""Mastodon (client API through Mastodon.py): mentions, replies and DMs in; statuses out.

``fetch`` walks the notifications forward from the cursor (``min_id``, then the
``Link: rel="prev"`` pages) at most ``max_pages`` pages a poll, oldest first, so a
poll cut short resumes where it stopped. Every Mastodon.py error is mapped to a
:mod:`rapport.errors` type from the HTTP answer itself (status and rate-limit
headers, read through a response hook on the ``requests`` session), because
Mastodon.py's own rate-limit bookkeeping ignores ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests
from mastodon import Mastodon as MastodonClient
from mastodon.errors import MastodonError, MastodonNetworkError

from rapport.channels import ratelimit
from rapport.channels.base import Channel
from rapport.channels.platforms import mastodon_publish, mastodon_records
from rapport.channels.platforms._http import error_for
from rapport.channels.platforms._parse import newer
from rapport.channels.records import (
    FetchResult,
    OutboundPost,
    PostRecord,
    PublishResult,
    Record,
    ReplyTarget,
)
from rapport.errors import (
    ChannelAuthError,
    PermanentChannelError,
    TemporaryChannelError,
    ValidationError,
)
from rapport.hookspecs import hookimpl

PAGE = 40  # Mastodon's maximum for notifications


class MastodonChannel(Channel):
    kind = "mastodon"
    label = "Mastodon"
    max_length = 500
    can_fetch = True
    can_publish = True
    can_reply = True
    can_dm = True
    can_thread = True
    idempotent_publish = True  # Idempotency-Key, and find_published after a lost answer
    needs_credentials = True
    config_fields = ("base_url", "visibility")
    secret_fields = ("access_token",)
    max_pages = 10
    retry_after_hint: float | None = None
    _last: requests.Response | None  # the last HTTP answer, set by the session's hook
    media_limits = mastodon_publish.MEDIA_LIMITS  # checked at compose time
    read_media_limits = staticmethod(mastodon_publish.read_media_limits)

    @classmethod
    def validate_config(cls, config: dict[str, Any], secrets: dict[str, Any]) -> None:
        url = str(config.get("base_url", ""))
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise ValidationError("base_url must be the server's address", field="base_url")
        if not str(secrets.get("access_token", "")).strip():
            raise ValidationError("an access token is needed", field="access_token")
        if config.get("visibility") and config["visibility"] not in mastodon_publish.VISIBILITIES:
            raise ValidationError(
                "visibility must be public, unlisted or private", field="visibility"
            )

    @property
    def host(self) -> str:
        return urlsplit(str(self.config["base_url"])).hostname or ""

    @property
    def api(self) -> MastodonClient:
        if not hasattr(self, "_api"):
            session = requests.Session()
            session.hooks["response"].append(self._remember)
            self._api = MastodonClient(
                access_token=str(self.secrets.get("access_token", "")),
                api_base_url=str(self.config["base_url"]).rstrip("/"),
                ratelimit_method="throw",
                request_timeout=float(self.config.get("timeout", 20)),
                version_check_mode="none",
                session=session,
            )
        return self._api

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last = response

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Map whatever Mastodon.py raised to Rapport's errors, from the real answer."""
        self._last = None
        try:
            yield
        except MastodonNetworkError as exc:
            raise TemporaryChannelError(f"could not reach Mastodon at {self.host}") from exc
        except MastodonError as exc:
            last = self._last
            if last is None:
                raise TemporaryChannelError(f"Mastodon at {self.host}: {exc}") from exc
            label = f"Mastodon at {self.host}"
            if last.status_code == 401:  # Mastodon tokens never expire: 401 means revoked
                raise ChannelAuthError(f"{label}: token revoked — reconnect") from exc
            if last.status_code == 422:
                message = mastodon_publish.error_message(last) or "the post is not valid"
                raise PermanentChannelError(f"{label} refused it: {message}") from exc
            error = error_for(last.status_code, last.headers, label)
            raise error or TemporaryChannelError(
                f"Mastodon at {self.host} sent an answer that could not be read"
            ) from exc

    def fetch(self, cursor: str) -> FetchResult:
        since = _read_cursor(cursor)
        records: list[Record] = []
        posts: set[str] = set()  # an own status liked twice is one post
        with self._errors():
            me = str(self.api.account_verify_credentials()["id"])
            page: Any = self.api.notifications(min_id=since or "0", limit=PAGE)
            for _ in range(self.max_pages):
                if not page:
                    break
                ordered = sorted(page, key=_sort_key)
                for notification in ordered:
                    for record in mastodon_records.records(notification, me=me, host=self.host):
                        if isinstance(record, PostRecord):
                            if record.source_id in posts:
                                continue
                            posts.add(record.source_id)
                        records.append(record)
                    ident = (
                        str(notification.get("id", "")) if isinstance(notification, dict) else ""
                    )
                    if ident and (not since or newer(ident, since)):
                        since = ident
                page = self.api.fetch_previous(page)
        last = getattr(self, "_last", None)
        if last is not None and ratelimit.exhausted(last.headers):  # read by sync
            self.retry_after_hint = ratelimit.retry_after(last.headers)
        return FetchResult(records=records, cursor=json.dumps({"min_id": since}) if since else "")

    def publish(self, post: OutboundPost) -> PublishResult:
        """Post the status (or the thread); safe to call again with the same key."""
        with self._errors():
            return mastodon_publish.publish(self, post)

    def find_published(self, post: OutboundPost) -> PublishResult | None:
        """The status (the whole thread) among the account's recent ones, or None."""
        with self._errors():
            return mastodon_publish.find_published(self, post)

    def reply(self, target: ReplyTarget, text: str) -> PublishResult:
        """Reply in the thread, as privately as the status replied to, mentioning its author.

        A reply to a direct message must stay direct, so the status is read
        first. The ``Idempotency-Key`` makes a retried reply post once.
        """
        key = hashlib.sha256(f"{self.channel_id}:{target.source_id}:{text}".encode()).hexdigest()
        with self._errors():
            status = self.api.status(target.source_id)
            acct = str(status["account"]["acct"])
            body = text if f"@{acct}".lower() in text.lower() else f"@{acct} {text}"
            visibility = status.get("visibility")
            posted = self.api.status_post(
                body,
                in_reply_to_id=target.source_id,
                visibility=visibility if visibility in ("direct", "private", "unlisted") else None,
                idempotency_key=key[:64],
            )
        return PublishResult(remote_id=str(posted["id"]), remote_url=str(posted.get("url") or ""))


def _sort_key(notification: Any) -> tuple[int, str]:
    ident = str(notification.get("id", "")) if isinstance(notification, dict) else ""
    return (len(ident), ident)


def _read_cursor(cursor: str) -> str:
    """The newest notification id seen; a plain id (older cursors) is accepted too."""
    if not cursor:
        return ""
    try:
        value = json.loads(cursor)
    except ValueError:
        return cursor if cursor.isdigit() else ""
    return str(value.get("min_id", "")) if isinstance(value, dict) else ""


@hookimpl
def register_channels(register: Any) -> None:
    register(MastodonChannel)
