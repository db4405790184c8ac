"""The WordPress comments channel against RECORDED WordPress REST API answers.

No real WordPress runs easily here (it needs PHP, a web server and MariaDB),
so real answers recorded from WordPress 6.x (``tests/fixtures/wordpress``) are
replayed by a loopback HTTP server, one test per payload. The channel talks
real HTTP to it, with basic auth and WordPress's paging headers.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.conf import settings

from rapport.channels.models import ChannelStatus
from rapport.channels.platforms import wordpress_records
from rapport.channels.platforms.wordpress import WordPressChannel
from rapport.channels.records import ItemRecord, PostRecord, ReplyTarget, SkippedRecord
from rapport.channels.services import add_channel
from rapport.channels.sync import sync_channel
from rapport.inbox.models import Item
from tests.peers.http import Answer, Replay, Request, fixture

pytestmark = pytest.mark.django_db
API = "/wp-json/wp/v2"


@pytest.fixture(autouse=True)
def _fresh_backoffs() -> None:
    settings.HUEY.storage.flush_results()


def recorded(name: str) -> Answer:
    data = fixture("wordpress", name)
    return Answer(data.get("status", 200), dict(data.get("headers", {})), data["body"])


def site() -> Replay:
    server = Replay()

    def comments(request: Request) -> Answer:
        return recorded(f"comments_page_{request.query.get('page', '1')}.json")

    server.route("GET", f"{API}/comments", comments)
    server.route("GET", f"{API}/posts", lambda r: recorded("posts.json"))
    return server


def plugin(url: str, password: str = "abcd efgh ijkl mnop qrst uvwx") -> WordPressChannel:
    return WordPressChannel(
        config={"base_url": url, "username": "acme"}, secrets={"app_password": password}
    )


def test_comments_pages_and_posts_land_threaded(workspace):
    with site() as server:
        channel = add_channel(
            workspace=workspace,
            kind="wordpress",
            name="Blog",
            config={"base_url": server.url, "username": "acme"},
            secrets={"app_password": "abcd efgh ijkl mnop qrst uvwx"},
        )
        summary = sync_channel(channel_id=channel.pk)
    assert (summary.outcome, summary.items_created, summary.posts_created) == ("ok", 3, 1)
    question, answer, follow_up = Item.objects.order_by("source_id")
    assert answer.parent == question and follow_up.parent == answer and follow_up.root == question
    assert question.post.title == "Rye is back"
    assert question.author.display_name == "Jo Baker"
    assert follow_up.text.startswith("Great \u2013 what does shipping cost?")
    channel.refresh_from_db()
    assert json.loads(channel.cursor) == {"after": "2026-11-20T09:02:00+00:00", "complete": True}


def test_paging_asks_in_date_order_with_basic_auth(workspace):
    with site() as server:
        plugin(server.url).fetch("")
    first, second, posts = server.requests
    assert (first.query["page"], second.query["page"]) == ("1", "2")
    assert first.query["orderby"] == "date_gmt" and first.query["order"] == "asc"
    assert posts.query["include"] == "7"
    user, password = base64.b64decode(first.headers["authorization"][6:]).decode().split(":", 1)
    assert (user, password) == ("acme", "abcd efgh ijkl mnop qrst uvwx")


def test_after_a_complete_poll_the_window_reaches_back_for_late_approvals():
    cursor = json.dumps({"after": "2026-11-20T09:02:00+00:00", "complete": True})
    with site() as server:
        plugin(server.url).fetch(cursor)
    assert server.requests[0].query["after"] == "2026-11-18T09:02:00"  # 48 hours back


def test_while_catching_up_the_cursor_asks_from_one_second_before(monkeypatch):
    monkeypatch.setattr(WordPressChannel, "max_pages", 1)  # two pages: the first poll stops
    with site() as server:
        first = plugin(server.url).fetch("")
        assert json.loads(first.cursor) == {"after": "2026-11-20T09:02:00+00:00", "complete": False}
        plugin(server.url).fetch(first.cursor)
    assert server.requests[-2].query["after"] == "2026-11-20T09:01:59"


def test_recorded_incorrect_password_needs_reconnect(workspace):
    with Replay() as server:
        server.route("GET", f"{API}/comments", lambda r: recorded("error_incorrect_password.json"))
        channel = add_channel(
            workspace=workspace,
            kind="wordpress",
            name="Blog",
            config={"base_url": server.url, "username": "acme"},
            secrets={"app_password": "revoked"},
        )
        summary = sync_channel(channel_id=channel.pk)
    channel.refresh_from_db()
    assert summary.outcome == "needs_reconnect" and channel.status == ChannelStatus.NEEDS_RECONNECT
    assert "reconnect WordPress comments (Blog)" in channel.status_message


def test_recorded_too_many_requests_backs_off(workspace):
    with Replay() as server:
        server.route("GET", f"{API}/comments", lambda r: recorded("error_too_many_requests.json"))
        channel = add_channel(
            workspace=workspace,
            kind="wordpress",
            name="Blog",
            config={"base_url": server.url, "username": "acme"},
            secrets={"app_password": "x"},
        )
        summary = sync_channel(channel_id=channel.pk)
    assert (summary.outcome, summary.retry_after) == ("rate_limited", 120)


def test_reply_posts_under_the_comment():
    with Replay() as server:
        server.route(
            "GET",
            f"{API}/comments/14",
            lambda r: Answer(body=fixture("wordpress", "comments_page_2.json")["body"][0]),
        )
        server.route("POST", f"{API}/comments", lambda r: recorded("comment_created.json"))
        result = plugin(server.url).reply(ReplyTarget(source_id="14"), "Five euros.")
    assert result.remote_id == "15" and result.remote_url.endswith("#comment-15")
    assert json.loads(server.requests[-1].body) == {
        "post": 7,
        "parent": 14,
        "content": "Five euros.",
    }


def test_recorded_duplicate_reply_finds_the_first_one():
    with Replay() as server:
        server.route(
            "GET",
            f"{API}/comments/14",
            lambda r: Answer(body=fixture("wordpress", "comments_page_2.json")["body"][0]),
        )
        server.route("POST", f"{API}/comments", lambda r: recorded("error_duplicate.json"))
        server.route("GET", f"{API}/users/me", lambda r: recorded("users_me.json"))
        server.route(
            "GET", f"{API}/comments", lambda r: Answer(body=[recorded("comment_created.json").body])
        )
        result = plugin(server.url).reply(ReplyTarget(source_id="14"), "Five euros.")
    assert result.remote_id == "15"
    assert (
        server.requests[-1].query["author"] == "1" and server.requests[-1].query["parent"] == "14"
    )


def test_recorded_post_becomes_a_post_record():
    [payload] = fixture("wordpress", "posts.json")["body"]
    record = wordpress_records.post(payload)
    assert isinstance(record, PostRecord) and record.title == "Rye is back"


@pytest.mark.parametrize("case", fixture("wordpress", "hostile.json"), ids=lambda c: c["name"])
def test_hostile_comment_is_skipped_with_a_reason(case: dict[str, Any]) -> None:
    record = wordpress_records.comment(case["payload"], host="blog.example")
    assert isinstance(record, SkippedRecord) and record.reason.startswith("wordpress comment")


def test_hostile_comments_never_stop_a_poll(workspace):
    hostile = [c["payload"] for c in fixture("wordpress", "hostile.json")]
    good = fixture("wordpress", "comments_page_2.json")["body"]
    with Replay() as server:
        server.route("GET", f"{API}/comments", lambda r: Answer(body=hostile + good))
        server.route(
            "GET", f"{API}/posts", lambda r: Answer(400, body={"code": "rest_invalid_param"})
        )
        records = plugin(server.url).fetch("").records
    assert sum(isinstance(r, SkippedRecord) for r in records) == len(hostile)
    assert [r.source_id for r in records if isinstance(r, ItemRecord)] == ["14"]
