"""The workspace's Atom feed (``/feeds/<slug>.atom``), built with feedgen.

Entries are the sent deliveries of the workspace's ``feed`` channels. The
response carries an ETag (a hash of the bytes) and Last-Modified (the newest
entry), so feed readers polling every few minutes get a 304 and no body.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from feedgen.feed import FeedGenerator

from rapport.accounts.models import Workspace
from rapport.publish.links import tracked_map
from rapport.publish.render import render
from rapport.publish.selectors import feed_deliveries


@dataclass(frozen=True, slots=True)
class BuiltFeed:
    body: bytes
    etag: str
    last_modified: datetime | None


def feed_url(workspace: Workspace) -> str:
    return f"{settings.BASE_URL}/feeds/{workspace.slug}.atom"


def build_feed(workspace: Workspace) -> BuiltFeed:
    deliveries = list(feed_deliveries(workspace))
    fg = FeedGenerator()
    fg.id(feed_url(workspace))
    fg.title(workspace.name or workspace.slug)
    fg.link(href=feed_url(workspace), rel="self")
    fg.link(href=settings.BASE_URL + "/", rel="alternate")
    fg.author({"name": workspace.name or workspace.slug})
    newest = max((d.sent_at for d in deliveries if d.sent_at), default=None)
    fg.updated(newest or workspace.created_at or timezone.now())
    for delivery in reversed(deliveries):  # feedgen prepends: add oldest first
        post = delivery.post
        entry = fg.add_entry()
        entry.id(delivery.remote_id or f"urn:uuid:{delivery.idempotency_key}")
        entry.title(post.title or delivery.body[:80] or "Untitled")
        html = delivery.html or render(post.body, link_map=tracked_map(post)).html
        entry.content(html, type="html")
        entry.summary(delivery.body[:500])
        if post.url:
            entry.link(href=post.url, rel="alternate")
        entry.published(delivery.sent_at)
        entry.updated(delivery.sent_at)
    body = fg.atom_str(pretty=True)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return BuiltFeed(body=body, etag=etag, last_modified=newest)
