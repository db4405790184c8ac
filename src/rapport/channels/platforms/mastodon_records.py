"""Mastodon notifications to records: what people wrote becomes items, the rest signals.

    mention (visibility direct)      ItemRecord kind "message"
    mention (in_reply_to_id set)     ItemRecord kind "reply"
    mention                          ItemRecord kind "mention"
    quote                            ItemRecord kind "quote"
    favourite / reblog / follow      SignalRecord like / boost / follow
    anything else                    SkippedRecord naming the type

An item's ``source_id`` is the status id (not the notification id), so the
same status reached twice is one item. Replies to the account's own statuses
point at the post (``post_source_id``); replies to someone else's status point
at that item (``parent_source_id``).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from rapport.channels.platforms._parse import Unusable, ident, obj, string, timestamp
from rapport.channels.records import AuthorRecord, ItemRecord, PostRecord, Record, SignalRecord
from rapport.channels.records import SkippedRecord as Skipped

SIGNALS = {"favourite": "like", "reblog": "boost", "follow": "follow"}
PLATFORM = "mastodon"


def author(account: Any, instance_host: str) -> AuthorRecord:
    """The account as a stable key: ``user@host`` (local accounts get the instance host)."""
    account = obj(account, "account")
    acct = string(account, "acct")
    if "@" not in acct:
        acct = f"{acct}@{instance_host}"
    return AuthorRecord(
        platform=PLATFORM,
        key=acct.lower(),
        display_name=string(account, "display_name", required=False)[:200],
        url=_url(string(account, "url", required=False)),
    )


def _url(value: str) -> str:
    return value if urlsplit(value).scheme in ("http", "https") else ""


def _content(status: Mapping[str, Any]) -> str:
    body = string(status, "content", required=False)
    warning = string(status, "spoiler_text", required=False)
    return f"<p>CW: {html.escape(warning)}</p>{body}" if warning else body


def own_post(status: Any) -> PostRecord:
    status = obj(status, "status")
    return PostRecord(
        source_id=ident(status, "id"),
        html=_content(status),
        url=_url(string(status, "url", required=False)),
        published_at=timestamp(status, "created_at"),
    )


def item(kind: str, status: Any, *, me: str, host: str) -> ItemRecord:
    status = obj(status, "status")
    reply_to = ident(status, "in_reply_to_id", required=False)
    reply_to_account = ident(status, "in_reply_to_account_id", required=False)
    to_me = bool(reply_to) and reply_to_account == me
    if kind == "mention":
        if status.get("visibility") == "direct":
            kind = "message"
        elif reply_to:
            kind = "reply"
    quoted = _quoted_id(status) if kind == "quote" else ""
    return ItemRecord(
        source_id=ident(status, "id"),
        created_at=timestamp(status, "created_at"),
        author=author(status.get("account"), host),
        html=_content(status),
        kind=kind,  # type: ignore[arg-type]
        parent_source_id="" if to_me else reply_to,
        post_source_id=reply_to if to_me else quoted,
        url=_url(string(status, "url", required=False) or string(status, "uri", required=False)),
        signals={"visibility": str(status.get("visibility", ""))[:20]},
    )


def _quoted_id(status: Mapping[str, Any]) -> str:
    quote = status.get("quote")
    if isinstance(quote, Mapping):
        quoted = quote.get("quoted_status")
        if isinstance(quoted, Mapping):
            return ident(quoted, "id", required=False)
    return ""


def records(notification: Any, *, me: str, host: str) -> list[Record]:
    """The records one notification yields; a bad one yields one ``SkippedRecord``."""
    nid = "?"
    try:
        notification = obj(notification, "notification")
        nid = ident(notification, "id")
        kind = string(notification, "type")
        if kind in ("mention", "quote"):
            return [item(kind, notification.get("status"), me=me, host=host)]
        if kind in SIGNALS:
            status = notification.get("status")
            post = own_post(status) if kind != "follow" and status is not None else None
            signal = SignalRecord(
                source_id=f"notification:{nid}",
                kind=SIGNALS[kind],  # type: ignore[arg-type]
                created_at=timestamp(notification, "created_at"),
                author=author(notification.get("account"), host),
                post_source_id=post.source_id if post else "",
            )
            return [post, signal] if post else [signal]
        return [Skipped(source_id=nid, reason=f"mastodon notification type {kind[:40]!r}")]
    except Unusable as exc:
        return [Skipped(source_id=nid, reason=f"mastodon notification: {exc}")]
