"""A blog through its feeds: its posts feed and its comment feed(s), RSS or Atom.

``config``:
    feed_url       the posts feed
    comments_url   a site-wide comment feed (WordPress ``/comments/feed/``), or a
                   per-post one with ``{path}`` filled with each post's path
                   (Isso: ``https://comments.example/feed?uri={path}``)
    max_posts      how many recent posts get their per-post feed read (default 20)

Every feed is read with a conditional GET: the ``ETag`` and ``Last-Modified``
of each feed are kept in the cursor, and a ``304 Not Modified`` costs no parse
and yields no record. Feeds hold only recent entries and ingest is idempotent,
so a changed feed is simply read whole again.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlsplit

import feedparser

from rapport.channels.base import Channel
from rapport.channels.platforms import feed_records
from rapport.channels.platforms._http import check, transport_errors
from rapport.channels.records import FetchResult, PostRecord, Record, SkippedRecord
from rapport.errors import ValidationError
from rapport.hookspecs import hookimpl

MAX_BYTES = 10 * 1024 * 1024  # a feed larger than this is hostile
Validators = dict[str, str]


class RssChannel(Channel):
    kind = "rss"
    label = "Blog feeds (RSS/Atom)"
    can_fetch = True
    config_fields = ("feed_url", "comments_url", "max_posts")
    secret_fields = ()

    @classmethod
    def validate_config(cls, config: dict[str, Any], secrets: dict[str, Any]) -> None:
        for name in ("feed_url", "comments_url"):
            value = str(config.get(name) or "")
            if (value or name == "feed_url") and urlsplit(value).scheme not in ("http", "https"):
                raise ValidationError(f"{name} must be an http(s) address", field=name)
        if not str(config.get("max_posts") or "20").isdigit():
            raise ValidationError("max_posts must be a whole number", field="max_posts")

    def fetch(self, cursor: str) -> FetchResult:
        state = _read_cursor(cursor)
        old: dict[str, Validators] = state["feeds"]
        new: dict[str, Validators] = {}
        records: list[Record] = []
        posts: list[str] = list(state["posts"])
        feed_url = str(self.config["feed_url"])
        entries = self._read(feed_url, old, new, records)
        if entries is not None:
            fresh = [feed_records.post(e) for e in entries]
            records.extend(fresh)
            posts = [r.url or r.source_id for r in fresh if isinstance(r, PostRecord)]
        site = urlsplit(feed_url).hostname or ""
        for url in self._comment_feeds(posts):
            for entry in self._read(url, old, new, records) or []:
                records.append(feed_records.comment(entry, site=site))
        max_posts = self.max_posts
        cursor_out = {"feeds": new, "posts": posts[:max_posts]}
        return FetchResult(records=records, cursor=json.dumps(cursor_out, sort_keys=True))

    @property
    def max_posts(self) -> int:
        raw = str(self.config.get("max_posts") or "20")
        return min(200, int(raw)) if raw.isdigit() else 20

    def _comment_feeds(self, posts: list[str]) -> list[str]:
        template = str(self.config.get("comments_url") or "")
        if not template:
            return []
        if "{path}" not in template:
            return [template]
        max_posts = self.max_posts
        paths = [urlsplit(p).path or "/" for p in posts[:max_posts]]
        return [template.replace("{path}", quote(path, safe="")) for path in paths]

    def _read(
        self,
        url: str,
        old: dict[str, Validators],
        new: dict[str, Validators],
        records: list[Record],
    ) -> list[Any] | None:
        """The feed's entries, or ``None`` when it has not changed (304) or is unreadable."""
        seen = old.get(url, {})
        headers = {"Accept": "application/atom+xml, application/rss+xml, application/xml;q=0.9"}
        if seen.get("etag"):
            headers["If-None-Match"] = seen["etag"]
        if seen.get("modified"):
            headers["If-Modified-Since"] = seen["modified"]
        with transport_errors(f"the feed {url}"):
            response = self.http.get(url, headers=headers, follow_redirects=True)
        if response.status_code == 304:
            new[url] = seen
            return None
        check(response, f"the feed {url}")
        if len(response.content) > MAX_BYTES:
            records.append(SkippedRecord(source_id=url, reason="feed larger than 10 MB"))
            return None
        parsed = feedparser.parse(  # ingest sanitises with nh3: feedparser's own pass is slow
            response.content,
            sanitize_html=False,
            resolve_relative_uris=False,
            response_headers={
                "content-location": url,
                "content-type": response.headers.get("content-type", "application/xml"),
            },
        )
        if not parsed.get("version") and parsed.get("bozo"):
            records.append(SkippedRecord(source_id=url, reason="not an RSS or Atom feed"))
            return None
        new[url] = {
            k: v
            for k, v in (
                ("etag", response.headers.get("etag", "")),
                ("modified", response.headers.get("last-modified", "")),
            )
            if v
        }
        return list(parsed.get("entries") or [])


def _read_cursor(cursor: str) -> dict[str, Any]:
    try:
        value = json.loads(cursor) if cursor else {}
    except ValueError:
        value = {}
    if not isinstance(value, dict):
        value = {}
    feeds = value.get("feeds")
    posts = value.get("posts")
    if not isinstance(feeds, dict):
        feeds = {}
    if not isinstance(posts, list):
        posts = []
    return {
        "feeds": {str(k): v for k, v in feeds.items() if isinstance(v, dict)},
        "posts": [str(p) for p in posts],
    }


@hookimpl
def register_channels(register: Any) -> None:
    register(RssChannel)
