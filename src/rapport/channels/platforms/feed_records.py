"""Feed entries (as feedparser reads them) to records: posts from the posts feed,
comments from the comment feeds.

A post's ``source_id`` is its address without the fragment, because that is the
one key every comment feed shares with the posts feed: WordPress links a
comment as ``<post>#comment-5``, Isso as ``<post>#isso-5``. A comment's parent
comes from the Atom threading extension (``thr:in-reply-to``) when it names
another comment rather than the post.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from rapport.channels.platforms._parse import MAX_TEXT, Unusable
from rapport.channels.records import AuthorRecord, ItemRecord, PostRecord, Record, SkippedRecord

PLATFORM = "blog"


def without_fragment(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def _text(entry: Mapping[str, Any], key: str) -> str:
    value = entry.get(key, "")
    return value[:MAX_TEXT] if isinstance(value, str) else ""


def _when(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value is not None:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (TypeError, ValueError, OverflowError):
                continue
    return None


def _html(entry: Mapping[str, Any]) -> str:
    content = entry.get("content")
    if isinstance(content, list) and content and isinstance(content[0], Mapping):
        value = content[0].get("value")
        if isinstance(value, str):
            return value[:MAX_TEXT]
    return _text(entry, "summary")


def _author(entry: Mapping[str, Any], site: str) -> AuthorRecord | None:
    detail = entry.get("author_detail")
    detail = detail if isinstance(detail, Mapping) else {}
    name = str(detail.get("name") or entry.get("author") or "").strip()[:200]
    email = str(detail.get("email") or "").strip().lower()[:254]
    url = without_fragment(str(detail.get("href") or ""))
    if not (name or email):
        return None
    key = email or f"{site}:{name.lower()}"  # a name alone is only unique per blog
    return AuthorRecord(platform=PLATFORM, key=key, display_name=name, email=email, url=url)


def post(entry: Any) -> Record:
    try:
        if not isinstance(entry, Mapping):
            raise Unusable("entry is not an object")
        url = without_fragment(_text(entry, "link"))
        source_id = url or _text(entry, "id")
        if not source_id:
            raise Unusable("post without link or id")
        return PostRecord(
            source_id=source_id[:300],
            title=_text(entry, "title")[:500],
            html=_html(entry),
            url=url,
            published_at=_when(entry),
        )
    except Unusable as exc:
        return SkippedRecord(source_id="?", reason=f"feed post: {exc}")


def comment(entry: Any, *, site: str) -> Record:
    try:
        if not isinstance(entry, Mapping):
            raise Unusable("entry is not an object")
        link = _text(entry, "link")
        source_id = _text(entry, "id") or link
        if not source_id:
            raise Unusable("comment without id or link")
        created = _when(entry)
        if created is None:
            raise Unusable("comment without a date")
        html = _html(entry)
        if not html.strip():
            raise Unusable("comment without text")
        post_id = without_fragment(link)
        reply_to = entry.get("thr_in-reply-to")
        ref = str(reply_to.get("ref") or "")[:300] if isinstance(reply_to, Mapping) else ""
        parent = ref if ref and ref not in (post_id, link) else ""  # a comment, not the post
        return ItemRecord(
            source_id=source_id[:300],
            created_at=created,
            author=_author(entry, site),
            html=html,
            kind="comment",
            parent_source_id=parent,
            post_source_id=post_id,
            url=link if urlsplit(link).scheme in ("http", "https") else "",
        )
    except Unusable as exc:
        return SkippedRecord(source_id="?", reason=f"feed comment: {exc}")
