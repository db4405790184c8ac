"""WordPress export (WXR): a blog's posts and pages with their comments.

WXR is RSS 2.0 plus the ``wp:`` namespace (``http://`` or ``https://
wordpress.org/export/1.0|1.1|1.2/``). The file is streamed with ``iterparse``
and every comment is dropped from the tree once read, so a million comments
take as much memory as ten.

Decisions, so the summary can explain them:
- A post or page is imported when published or when it has comments; other
  post types (attachments, menu items, revisions) only when they have comments.
- Pingbacks and trackbacks are skipped with a reason: they are automatic link
  notices, not something a person wrote to the owner, and a favourite spam path.
- WordPress's moderation state is kept as a hint, never trusted:
  ``spam`` -> ``{"platform_spam": true}``, ``trash`` -> ``{"platform_trash": true}``,
  ``0`` -> ``{"platform_pending": true}``; triage decides.
- Own comments: ``comment_user_id`` of a ``<wp:author>`` in the header, or an
  author e-mail of a ``<wp:author>`` or of a workspace member.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rapport.channels.importers.base import Importer
from rapport.channels.importers.streams import (
    CountingReader,
    iterparse,
    local,
    open_binary,
    parse_sql_datetime,
    text_of,
)
from rapport.channels.records import AuthorRecord, ItemRecord, PostRecord, Record, SkippedRecord
from rapport.errors import ImportFormatError
from rapport.hookspecs import hookimpl
from rapport.inbox.sanitize import autop

WP_NAMESPACE = re.compile(r"^https?://wordpress\.org/export/1\.\d+/?$")
SKIP_TYPES = {"pingback", "trackback"}
HUMAN_TYPES = {"", "comment", "review"}
ALWAYS_POST_TYPES = {"post", "page"}
APPROVAL_SIGNALS: dict[str, dict[str, Any]] = {
    "1": {},
    "0": {"platform_pending": True},
    "spam": {"platform_spam": True},
    "trash": {"platform_trash": True},
    "post-trashed": {"platform_trash": True},
}


@dataclass(slots=True)
class WxrHeader:
    namespace: str
    site: str
    author_ids: set[str] = field(default_factory=set)
    author_emails: set[str] = field(default_factory=set)


class WxrImporter(Importer):
    kind = "wxr"
    label = "WordPress export (WXR, .xml)"
    platform = "wordpress"

    def __init__(self, path: Path, *, own_emails: frozenset[str] = frozenset()) -> None:
        super().__init__(path, own_emails=own_emails)
        self._header: WxrHeader | None = None
        self._reader: CountingReader | None = None

    def source(self) -> str:
        return f"wxr:{self.header().site}"

    def position(self) -> int:
        return self._reader.count if self._reader else 0

    def header(self) -> WxrHeader:
        """Read the channel header (up to the first ``<item>``): namespace, site, authors."""
        if self._header is None:
            with open_binary(self.path) as raw:
                self._header = _read_header(self.path, raw)
        return self._header

    def records(self) -> Iterator[Record]:
        header = self.header()
        wp = "{" + header.namespace + "}"
        own_ids = header.author_ids
        own_emails = header.author_emails | {e.lower() for e in self.own_emails}
        with open_binary(self.path) as raw:
            self._reader = CountingReader(raw)
            post: PostState | None = None
            for _, elem in iterparse(self.path, self._reader, tag=(wp + "comment", "item")):
                if elem.tag == "item":
                    if post is None:
                        post = PostState.read(elem, wp)
                    if not post.emitted and post.wanted(has_comments=False):
                        yield post.record()
                    post = None
                    elem.clear()
                    parent = elem.getparent()
                    while elem.getprevious() is not None:
                        del parent[0]
                    continue
                if post is None:
                    post = PostState.read(elem.getparent(), wp)
                if not post.emitted and post.wanted(has_comments=True):
                    yield post.record()
                yield _comment(elem, wp, post, own_ids, own_emails)
                elem.clear()
                elem.getparent().remove(elem)


@dataclass(slots=True)
class PostState:
    source_id: str
    title: str
    url: str
    html: str
    post_type: str
    status: str
    published_at: datetime | None
    emitted: bool = False

    @classmethod
    def read(cls, item: Any, wp: str) -> PostState:
        fields: dict[str, str] = {}
        for child in item:
            name = local(child.tag)
            if name != "comment" and name not in fields:
                fields[name] = child.text or ""
        published = parse_sql_datetime(fields.get("post_date_gmt", ""))
        if published is None and fields.get("pubDate"):
            try:
                published = parsedate_to_datetime(fields["pubDate"])
            except (TypeError, ValueError, IndexError):
                published = None
        return cls(
            source_id=fields.get("post_id", "").strip(),
            title=fields.get("title", "").strip(),
            url=fields.get("link", "").strip(),
            html=fields.get("encoded", ""),
            post_type=fields.get("post_type", "post").strip(),
            status=fields.get("status", "publish").strip(),
            published_at=published or parse_sql_datetime(fields.get("post_date", "")),
        )

    def wanted(self, *, has_comments: bool) -> bool:
        if not self.source_id:
            return False
        return has_comments or (self.post_type in ALWAYS_POST_TYPES and self.status == "publish")

    def record(self) -> PostRecord:
        self.emitted = True
        return PostRecord(
            source_id=self.source_id,
            title=self.title,
            html=self.html,
            url=self.url,
            published_at=self.published_at,
        )


def _comment(
    elem: Any, wp: str, post: PostState, own_ids: set[str], own_emails: set[str]
) -> Record:
    f = {child.tag: child.text or "" for child in elem}
    comment_id = f.get(wp + "comment_id", "").strip()
    if not comment_id:
        return SkippedRecord(f"line {elem.sourceline}", "comment without wp:comment_id")
    ctype = f.get(wp + "comment_type", "").strip().lower()
    if ctype in SKIP_TYPES:
        return SkippedRecord(comment_id, "pingback or trackback (an automatic link notice)")
    if ctype not in HUMAN_TYPES:
        return SkippedRecord(comment_id, f"comment type {ctype[:30]!r} is not a message")
    created = (
        parse_sql_datetime(f.get(wp + "comment_date_gmt", ""))
        or parse_sql_datetime(f.get(wp + "comment_date", ""))
        or post.published_at
    )
    if created is None:
        return SkippedRecord(comment_id, "comment without a valid date")
    approved = f.get(wp + "comment_approved", "1").strip()
    signals = APPROVAL_SIGNALS.get(approved, {"platform_status": approved[:30]})
    name = f.get(wp + "comment_author", "").strip()
    email = f.get(wp + "comment_author_email", "").strip().lower()
    url = f.get(wp + "comment_author_url", "").strip()
    user_id = f.get(wp + "comment_user_id", "0").strip() or "0"
    parent = f.get(wp + "comment_parent", "0").strip()
    parent = "" if parent in ("", "0") else parent
    return ItemRecord(
        source_id=comment_id,
        created_at=created,
        author=_author(name, email, url, user_id),
        html=autop(f.get(wp + "comment_content", "")),
        kind="reply" if parent else "comment",
        parent_source_id=parent,
        post_source_id=post.source_id,
        url=f"{post.url}#comment-{comment_id}" if post.url else "",
        is_own=(user_id != "0" and user_id in own_ids) or (bool(email) and email in own_emails),
        signals=dict(signals),
    )


def _author(name: str, email: str, url: str, user_id: str) -> AuthorRecord | None:
    if email:
        key = email
    elif user_id != "0":
        key = f"user:{user_id}"
    elif name or url:
        key = f"name:{name.lower()}|{url.lower()}"
    else:
        return None
    return AuthorRecord(platform="wordpress", key=key, display_name=name, email=email, url=url)


def _read_header(path: Path, raw: Any) -> WxrHeader:
    namespace = ""
    link = base = ""
    ids: set[str] = set()
    emails: set[str] = set()
    for event, elem in iterparse(path, raw, events=("start", "end")):
        name = local(elem.tag)
        if event == "start":
            if elem.getparent() is None and name != "rss":
                raise ImportFormatError(
                    str(path),
                    f"not a WordPress export (WXR): the root is <{name}>, not <rss>",
                    line=elem.sourceline,
                )
            namespace = namespace or next(
                (ns for ns in elem.nsmap.values() if ns and WP_NAMESPACE.match(ns)), ""
            )
            if name == "item":
                break
            continue
        parent = local(elem.getparent().tag) if elem.getparent() is not None else ""
        if parent != "channel":
            continue
        if name == "link" and not elem.prefix:
            link = text_of(elem)
        elif name == "base_site_url":
            base = text_of(elem)
        elif name == "author":
            for child in elem:
                key = local(child.tag)
                if key in ("author_id", "author_login") and text_of(child):
                    ids.add(text_of(child))
                elif key == "author_email" and text_of(child):
                    emails.add(text_of(child).lower())
        elif name == "channel":
            break
    if not namespace:
        raise ImportFormatError(
            str(path), "not a WordPress export (WXR): no wordpress.org/export namespace"
        )
    return WxrHeader(
        namespace=namespace, site=_site(link or base, path), author_ids=ids, author_emails=emails
    )


def _site(url: str, path: Path) -> str:
    parts = urlsplit(url.strip()) if url else None
    if parts and parts.hostname:
        return (parts.hostname + parts.path.rstrip("/"))[:150]
    return path.name[:150]


@hookimpl
def register_importers(register: Any) -> None:
    register(WxrImporter)
