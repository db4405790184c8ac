"""The blog-feed channel: posts feed + comment feeds, with conditional GET.

Comments come from a REAL Isso comment server (its REST API to write, its Atom
feed to read); the blog's posts feed and the 304 details are served by a
loopback HTTP server.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings
from feedgen.feed import FeedGenerator

from rapport.channels.platforms.rss import RssChannel
from rapport.channels.records import ItemRecord, PostRecord, SkippedRecord
from rapport.channels.services import add_channel
from rapport.channels.sync import sync_channel
from rapport.inbox.models import Item
from rapport.publish.models import Post
from tests.peers.http import Answer, Replay, Request
from tests.peers.isso import *  # noqa: F403
from tests.peers.isso import BLOG

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_backoffs() -> None:
    settings.HUEY.storage.flush_results()


def posts_feed(*paths: str) -> bytes:
    feed = FeedGenerator()
    feed.id(f"{BLOG}/")
    feed.title("Acme Bakery blog")
    feed.link(href=f"{BLOG}/", rel="alternate")
    for n, path in enumerate(paths):
        entry = feed.add_entry()
        entry.id(f"{BLOG}{path}")
        entry.title(f"Post {path}")
        entry.link(href=f"{BLOG}{path}")
        entry.content("<p>Our bread.</p>", type="html")
        entry.published(datetime(2026, 11, 1 + n, 8, tzinfo=UTC))
    return feed.atom_str()


def blog(*paths: str, etag: str = '"v1"', modified: str = "") -> Replay:
    server = Replay()
    body = posts_feed(*paths)

    def answer(request: Request) -> Answer:
        headers = {"Content-Type": "application/atom+xml", "ETag": etag}
        if modified:
            headers["Last-Modified"] = modified
        if request.headers.get("if-none-match") == etag or (
            modified and request.headers.get("if-modified-since") == modified
        ):
            return Answer(304, headers)
        return Answer(200, headers, body)

    server.route("GET", "/feed.atom", answer)
    return server


def test_comments_from_isso_land_threaded_under_their_post(workspace, isso_server):
    first = isso_server.comment("/2026/rye/", "Is the rye **gluten** free?", "Bob")
    isso_server.comment("/2026/rye/", "Same question <script>x()</script>", "Kim", parent=first)
    isso_server.comment("/2026/spelt/", "Lovely crust!", "Ana")
    with blog("/2026/rye/", "/2026/spelt/") as site:
        channel = add_channel(
            workspace=workspace,
            kind="rss",
            name="Blog",
            config={"feed_url": f"{site.url}/feed.atom", "comments_url": isso_server.feed_url()},
            secrets={},
        )
        summary = sync_channel(channel_id=channel.pk)
        assert (summary.outcome, summary.posts_created, summary.items_created) == ("ok", 2, 3)
        rye = Post.objects.get(source_id=f"{BLOG}/2026/rye/")
        question, same = Item.objects.filter(post=rye).order_by("created_at")
        assert question.text == "Is the rye gluten free?" and question.author.display_name == "Bob"
        assert same.parent == question and "<script>" not in same.html
        assert Item.objects.get(text="Lovely crust!").post.title == "Post /2026/spelt/"

        again = sync_channel(channel_id=channel.pk)  # every feed answers 304 Not Modified
        assert (again.outcome, again.fetched) == ("ok", 0)
        isso_server.comment("/2026/spelt/", "When do you open on Sunday?", "Ana")
        third = sync_channel(channel_id=channel.pk)
        assert third.items_created == 1 and third.already_present == 1  # only the changed feed


def test_conditional_get_sends_the_etag_back(workspace):
    with blog("/a/", etag='"abc"') as site:
        plugin = RssChannel(config={"feed_url": f"{site.url}/feed.atom"}, secrets={})
        first = plugin.fetch("")
        assert [type(r) for r in first.records] == [PostRecord]
        second = plugin.fetch(first.cursor)
    assert second.records == [] and site.requests[-1].headers["if-none-match"] == '"abc"'


def test_conditional_get_with_last_modified_only(workspace):
    modified = "Mon, 23 Nov 2026 09:00:00 GMT"
    with blog("/a/", etag="", modified=modified) as site:
        plugin = RssChannel(config={"feed_url": f"{site.url}/feed.atom"}, secrets={})
        second = plugin.fetch(plugin.fetch("").cursor)
    assert second.records == [] and site.requests[-1].headers["if-modified-since"] == modified


def test_a_changed_feed_is_read_again(workspace):
    with blog("/a/", etag='"v1"') as site:
        plugin = RssChannel(config={"feed_url": f"{site.url}/feed.atom"}, secrets={})
        cursor = plugin.fetch("").cursor
        changed = blog("/a/", "/b/", etag='"v2"')  # the blog publishes a post
        site.routes = changed.routes
        records = plugin.fetch(cursor).records
        changed.server.server_close()
    assert {r.source_id for r in records} == {f"{BLOG}/a/", f"{BLOG}/b/"}
    assert site.requests[-1].headers["if-none-match"] == '"v1"'


def test_a_page_that_is_not_a_feed_is_skipped_not_a_crash():
    with Replay() as site:
        site.route("GET", "/feed", lambda r: Answer(200, {"Content-Type": "text/html"}, b"<html>"))
        plugin = RssChannel(config={"feed_url": f"{site.url}/feed"}, secrets={})
        result = plugin.fetch("")
    [skipped] = result.records
    assert isinstance(skipped, SkippedRecord) and "not an RSS or Atom feed" in skipped.reason


def test_hostile_entries_are_skipped_with_a_reason():
    from rapport.channels.platforms import feed_records

    assert isinstance(feed_records.comment({"id": "x"}, site="s"), SkippedRecord)  # no date
    assert isinstance(feed_records.comment(["x"], site="s"), SkippedRecord)
    assert isinstance(feed_records.post({"title": "no link"}), SkippedRecord)
    ok: Any = feed_records.comment(
        {
            "id": "c1",
            "link": "javascript:alert(1)",
            "summary": "hi",
            "updated_parsed": (2026, 1, 1, 0, 0, 0, 0, 1, 0),
        },
        site="s",
    )
    assert isinstance(ok, ItemRecord) and ok.url == "" and ok.post_source_id == ""
