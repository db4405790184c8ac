"""Bluesky notifications (``app.bsky.notification.listNotifications``, as JSON) to records.

    mention / reply / quote      ItemRecord (a mention that carries a reply ref is a reply)
    like / repost / follow       SignalRecord like / boost / follow
    anything else                SkippedRecord naming the reason

Threads: a reply's ``reply.root`` that is one of the account's own posts is
the post it answers (``post_source_id``); its ``reply.parent``, unless that is
the root post itself, is the item it answers (``parent_source_id``). Ids are
AT URIs (``at://did/collection/rkey``), stable and unique across the network.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from html import escape
from typing import Any

from rapport.channels.platforms._parse import Unusable, obj, string, timestamp
from rapport.channels.records import (
    AuthorRecord,
    ItemRecord,
    PostRecord,
    Record,
    SignalRecord,
    SkippedRecord,
)

PLATFORM = "bluesky"
ITEMS = {"mention", "reply", "quote"}
SIGNALS = {"like": "like", "repost": "boost", "follow": "follow"}


def did_of(uri: str) -> str:
    """The repository (account) an AT URI belongs to."""
    return uri[5:].split("/", 1)[0] if uri.startswith("at://") else ""


def web_url(uri: str) -> str:
    parts = uri[5:].split("/") if uri.startswith("at://") else []
    if len(parts) == 3 and parts[1] == "app.bsky.feed.post":
        return f"https://bsky.app/profile/{parts[0]}/post/{parts[2]}"
    return ""


def author(view: Any) -> AuthorRecord:
    view = obj(view, "author")
    did = string(view, "did")
    if not did.startswith("did:"):
        raise Unusable("author did is not a DID")
    handle = string(view, "handle", required=False)[:253]
    name = string(view, "displayName", required=False)[:200] or handle
    url = f"https://bsky.app/profile/{handle or did}"
    return AuthorRecord(platform=PLATFORM, key=did, display_name=name, url=url)


def _ref_uri(reply: Mapping[str, Any], key: str) -> str:
    ref = reply.get(key)
    return string(ref, "uri", required=False) if isinstance(ref, Mapping) else ""


def item(n: Mapping[str, Any], reason: str, *, me: str) -> ItemRecord:
    uri = string(n, "uri")
    record = obj(n.get("record"), "record")
    text = string(record, "text", required=False)
    reply = record.get("reply")
    parent = root = ""
    if isinstance(reply, Mapping):
        parent, root = _ref_uri(reply, "parent"), _ref_uri(reply, "root")
        if reason == "mention":
            reason = "reply"  # a reply that also @-mentions the account
    post = root if root and did_of(root) == me else ""
    if reason == "quote":
        post = string(n, "reasonSubject", required=False)
    if parent == post:
        parent = ""
    try:
        created = timestamp(record, "createdAt")
    except Unusable:
        created = timestamp(n, "indexedAt")
    return ItemRecord(
        source_id=uri,
        created_at=created,
        author=author(n.get("author")),
        text=text,
        kind=reason,  # type: ignore[arg-type]
        parent_source_id=parent,
        post_source_id=post,
        url=web_url(uri),
    )


def records(n: Any, *, me: str) -> list[Record]:
    uri = "?"
    try:
        n = obj(n, "notification")
        uri = string(n, "uri")
        reason = string(n, "reason")
        if reason in ITEMS:
            return [item(n, reason, me=me)]
        if reason in SIGNALS:
            signal = SignalRecord(
                source_id=uri,
                kind=SIGNALS[reason],  # type: ignore[arg-type]
                created_at=timestamp(n, "indexedAt"),
                author=author(n.get("author")),
                post_source_id=string(n, "reasonSubject", required=False),
            )
            return [signal]
        return [SkippedRecord(source_id=uri, reason=f"bluesky notification reason {reason[:40]!r}")]
    except Unusable as exc:
        return [SkippedRecord(source_id=uri, reason=f"bluesky notification: {exc}")]


def own_post(view: Any) -> Record:
    """A post view from ``app.bsky.feed.getPosts``: the account's own content."""
    try:
        view = obj(view, "post")
        uri = string(view, "uri")
        record = obj(view.get("record"), "record")
        text = string(record, "text", required=False)
        return PostRecord(
            source_id=uri,
            html=f"<p>{escape(text)}</p>" if text else "",
            url=web_url(uri),
            published_at=timestamp(record, "createdAt"),
        )
    except Unusable as exc:
        return SkippedRecord(source_id="?", reason=f"bluesky post: {exc}")


TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, as the AT Protocol spells it


def reply_rkey(key: str, near: str) -> str:
    """A deterministic record key (a valid TID) for a reply: same ``key``, same rkey.

    Its time part sits within ten minutes after ``near`` (the parent's
    ``indexedAt``), so keys stay plausible and sort near the thread.
    """
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    try:
        base = int(datetime.fromisoformat(near.replace("Z", "+00:00")).timestamp() * 1_000_000)
    except ValueError:
        base = 1_700_000_000_000_000
    micros = max(0, base) + digest % 600_000_000
    value = ((micros & (2**53 - 1)) << 10) | (digest >> 54)
    return "".join(TID_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(13)))
