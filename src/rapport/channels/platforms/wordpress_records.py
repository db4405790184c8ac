"""WordPress REST API comment and post objects to records.

WordPress's ``date_gmt`` has no zone designator (it is UTC by name only), ids
are numbers, ``parent`` is 0 for a top-level comment and ``author`` is 0 for
a guest. A guest is known by the e-mail address when the API shows it
(``context=edit``), else by name on this site.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from rapport.channels.platforms._parse import Unusable, ident, obj, string, timestamp
from rapport.channels.records import AuthorRecord, ItemRecord, PostRecord, Record, SkippedRecord

PLATFORM = "wordpress"


def _url(value: str) -> str:
    return value if urlsplit(value).scheme in ("http", "https") else ""


def _rendered(payload: Mapping[str, Any], key: str) -> str:
    field = payload.get(key)
    if isinstance(field, Mapping):
        return string(field, "rendered", required=False)
    if field is None:
        return ""
    raise Unusable(f"{key} is not an object")


def _author(payload: Mapping[str, Any], host: str) -> AuthorRecord:
    name = string(payload, "author_name", required=False).strip()[:200]
    email = string(payload, "author_email", required=False).strip().lower()[:254]
    user = ident(payload, "author", required=False)
    if email:
        key = email
    elif user and user != "0":
        key = f"{host}:user:{user}"
    elif name:
        key = f"{host}:{name.lower()}"
    else:
        raise Unusable("comment without author")
    url = _url(string(payload, "author_url", required=False))
    return AuthorRecord(platform=PLATFORM, key=key, display_name=name, email=email, url=url)


def comment(payload: Any, *, host: str) -> Record:
    source_id = "?"
    try:
        payload = obj(payload, "comment")
        source_id = ident(payload, "id")
        if string(payload, "type", required=False) not in ("", "comment"):
            raise Unusable(f"not a comment ({payload.get('type')!s:.20})")
        parent = ident(payload, "parent", required=False)
        post = ident(payload, "post", required=False)
        html = _rendered(payload, "content")
        if not html.strip():
            raise Unusable("comment without content")
        return ItemRecord(
            source_id=source_id,
            created_at=timestamp(payload, "date_gmt"),
            author=_author(payload, host),
            html=html,
            kind="comment",
            parent_source_id="" if parent in ("", "0") else parent,
            post_source_id="" if post in ("", "0") else post,
            url=_url(string(payload, "link", required=False)),
        )
    except Unusable as exc:
        return SkippedRecord(source_id=source_id, reason=f"wordpress comment: {exc}")


def post(payload: Any) -> Record:
    source_id = "?"
    try:
        payload = obj(payload, "post")
        source_id = ident(payload, "id")
        return PostRecord(
            source_id=source_id,
            title=_rendered(payload, "title")[:500],
            html=_rendered(payload, "content"),
            url=_url(string(payload, "link", required=False)),
            published_at=timestamp(payload, "date_gmt") if payload.get("date_gmt") else None,
        )
    except Unusable as exc:
        return SkippedRecord(source_id=source_id, reason=f"wordpress post: {exc}")
