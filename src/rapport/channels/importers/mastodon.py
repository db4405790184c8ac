"""Mastodon account export: the owner's own posts and replies from ``outbox.json``.

Accepts the export as ``.tar.gz`` (as Mastodon sends it), a folder, or a bare
``outbox.json``. The outbox is read with ijson, one activity at a time, so its
size does not matter; real exports can repeat the ``orderedItems`` key, and an
event parser reads every repeat (``json.load`` would keep only the last).

Everything in an outbox is the owner's: public and followers-only posts become
posts (what others answer), replies and direct messages become own items. A
reply's parent is linked when it is in the archive (the owner's own thread);
a reply to someone else keeps that post's address in ``signals["in_reply_to"]``.
Boosts of other people's posts are skipped with a reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rapport.channels.importers.archives import ArchiveReader
from rapport.channels.importers.base import Importer
from rapport.channels.importers.jsonstream import iter_json_items, parse_time, str_field
from rapport.channels.records import AuthorRecord, ItemRecord, PostRecord, Record, SkippedRecord
from rapport.hookspecs import hookimpl

PUBLIC = {"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"}
MAX_ACTOR_BYTES = 5 * 1024 * 1024


class MastodonImporter(Importer):
    kind = "mastodon"
    label = "Mastodon account export (.tar.gz or outbox.json)"
    platform = "mastodon"

    def __init__(self, path: Path, *, own_emails: frozenset[str] = frozenset()) -> None:
        super().__init__(path, own_emails=own_emails)
        self.archive = ArchiveReader(path)
        self._owner: AuthorRecord | None = None

    def position(self) -> int:
        return self.archive.position()

    def size_hint(self) -> int | None:
        return self.archive.size_hint("outbox.json")

    def owner(self) -> AuthorRecord:
        if self._owner is None:
            actor = self.archive.read_small("actor.json", MAX_ACTOR_BYTES)
            data = _loads(actor) if actor is not None else None
            self._owner = _owner_from_actor(data) or self._owner_from_outbox()
        return self._owner

    def source(self) -> str:
        return f"mastodon:{self.owner().key}"

    def records(self) -> Iterator[Record]:
        owner = self.owner()
        seen_posts: set[str] = set()
        seen_items: set[str] = set()
        with self.archive.open("outbox.json") as stream:
            for activity in iter_json_items(self.path, stream, "orderedItems.item"):
                record = _record(activity, owner, seen_posts, seen_items)
                if isinstance(record, PostRecord):
                    seen_posts.add(record.source_id)
                elif isinstance(record, ItemRecord):
                    seen_items.add(record.source_id)
                yield record

    def _owner_from_outbox(self) -> AuthorRecord:
        with self.archive.open("outbox.json") as stream:
            for activity in iter_json_items(self.path, stream, "orderedItems.item"):
                actor = activity.get("actor") if isinstance(activity, dict) else None
                if isinstance(actor, str) and urlsplit(actor).hostname:
                    return _author_from_url(actor, "")
        return AuthorRecord(platform="mastodon", key=self.path.name[:100])


def _loads(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None


def _owner_from_actor(actor: Any) -> AuthorRecord | None:
    if not isinstance(actor, dict):
        return None
    actor_id, username = actor.get("id"), actor.get("preferredUsername")
    if not isinstance(actor_id, str) or not isinstance(username, str) or not username:
        return None
    host = urlsplit(actor_id).hostname
    if not host:
        return None
    name = str_field(actor, "name")
    url = str_field(actor, "url", actor_id)
    return AuthorRecord(
        platform="mastodon", key=f"{username}@{host}".lower(), display_name=name, url=url
    )


def _author_from_url(actor: str, name: str) -> AuthorRecord:
    parts = urlsplit(actor)
    username = parts.path.rstrip("/").rpartition("/")[2] or "unknown"
    return AuthorRecord(
        platform="mastodon",
        key=f"{username}@{parts.hostname}".lower(),
        display_name=name,
        url=actor,
    )


def _addresses(*values: Any) -> list[str]:
    out: list[str] = []
    for value in values:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in value if isinstance(v, str))
    return out


def _record(
    activity: Any, owner: AuthorRecord, seen_posts: set[str], seen_items: set[str]
) -> Record:
    if not isinstance(activity, dict):
        return SkippedRecord("?", "an outbox entry that is not an object")
    kind = activity.get("type")
    activity_id = str(activity.get("id") or "?")[:300]
    if kind == "Announce":
        return SkippedRecord(activity_id, "a boost of another account's post")
    obj = activity.get("object")
    if kind != "Create" or not isinstance(obj, dict):
        return SkippedRecord(activity_id, f"activity type {str(kind)[:30]!r} is not a post")
    status_id = obj.get("id")
    created = parse_time(obj.get("published")) or parse_time(activity.get("published"))
    if not isinstance(status_id, str) or not status_id:
        return SkippedRecord(activity_id, "a post without an id")
    if created is None:
        return SkippedRecord(status_id, "a post without a valid date")
    content = str_field(obj, "content")
    url = str_field(obj, "url", status_id)
    reply_to = str_field(obj, "inReplyTo")
    audience = _addresses(obj.get("to"), obj.get("cc"), activity.get("to"), activity.get("cc"))
    public = any(a in PUBLIC for a in audience)
    followers = any(a.endswith("/followers") for a in audience)
    direct = not public and not followers
    if not reply_to and not direct:
        summary = str_field(obj, "summary")
        return PostRecord(
            source_id=status_id, title=summary, html=content, url=url, published_at=created
        )
    signals: dict[str, Any] = {}
    parent = post = ""
    if reply_to in seen_items:
        parent = reply_to
    elif reply_to in seen_posts:
        post = reply_to
    elif reply_to:
        signals["in_reply_to"] = reply_to[:500]
    return ItemRecord(
        source_id=status_id,
        created_at=created,
        author=owner,
        html=content,
        kind="message" if direct else "reply",
        parent_source_id=parent,
        post_source_id=post,
        url=url,
        is_own=True,
        signals=signals,
    )


@hookimpl
def register_importers(register: Any) -> None:
    register(MastodonImporter)
