"""The inbox queue: what shows in which tab, in which order, page by page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rapport.errors import ValidationError
from rapport.inbox.selectors import Tab, item_view, queue_page, tab_counts
from tests.people.factories import make_item


def texts(page):  # type: ignore[no-untyped-def]
    return [row.item.text for row in page.rows]


def test_main_view_puts_needs_reply_first_then_conversation_longest_wait_first(workspace):
    make_item(workspace, "chat old", label="conversation", age=timedelta(days=3))
    make_item(workspace, "question new", label="needs_reply", age=timedelta(hours=1))
    make_item(workspace, "question old", label="needs_reply", age=timedelta(days=2))
    make_item(workspace, "thanks", label="appreciation")
    page = queue_page(workspace=workspace, tab=Tab.MAIN, now=timezone.now())
    assert texts(page) == ["question old", "question new", "chat old"]


def test_untriaged_items_are_not_lost_from_the_main_view(workspace):
    make_item(workspace, "not seen by triage", label="")
    assert texts(queue_page(workspace=workspace, tab=Tab.MAIN, now=timezone.now())) == [
        "not seen by triage"
    ]


def test_own_items_never_appear_as_incoming(workspace):
    make_item(workspace, "my own reply", label="needs_reply", is_own=True)
    for tab in Tab:
        assert queue_page(workspace=workspace, tab=tab, now=timezone.now()).rows == []


def test_spam_and_duplicates_stay_out_of_the_main_view_and_share_a_tab(workspace):
    make_item(workspace, "buy pills", label="spam")
    make_item(workspace, "same question again", label="needs_reply", is_duplicate=True)
    make_item(workspace, "real question", label="needs_reply")
    now = timezone.now()
    assert texts(queue_page(workspace=workspace, tab=Tab.MAIN, now=now)) == ["real question"]
    assert set(texts(queue_page(workspace=workspace, tab=Tab.SPAM, now=now))) == {
        "buy pills",
        "same question again",
    }


def test_done_tab_holds_answered_and_done_items_newest_first(workspace):
    make_item(workspace, "answered", state="answered", age=timedelta(days=2))
    make_item(workspace, "done", state="done", label="spam", age=timedelta(days=1))
    make_item(workspace, "open", state="open")
    page = queue_page(workspace=workspace, tab=Tab.DONE, now=timezone.now())
    assert texts(page) == ["done", "answered"]


def test_items_past_the_response_target_are_late(workspace):
    workspace.response_target_hours = 4
    workspace.save()
    make_item(workspace, "late", age=timedelta(hours=5))
    make_item(workspace, "fresh", age=timedelta(hours=3))
    make_item(workspace, "old chat", label="conversation", age=timedelta(hours=9))
    rows = queue_page(workspace=workspace, tab=Tab.MAIN, now=timezone.now()).rows
    assert [(r.item.text, r.late) for r in rows] == [
        ("late", True),
        ("fresh", False),
        ("old chat", False),  # a conversation is worth reading, but never late
    ]
    assert rows[0].waited >= timedelta(hours=5)


def test_pages_follow_each_other_without_gaps_or_repeats_across_sections(workspace):
    now = timezone.now()
    same_moment = now - timedelta(hours=2)
    for i in range(7):
        make_item(workspace, f"q{i}", created_at=same_moment)  # ties broken by id
    for i in range(5):
        make_item(workspace, f"c{i}", label="conversation", age=timedelta(hours=10 - i))
    seen, after = [], None
    while True:
        page = queue_page(workspace=workspace, tab=Tab.MAIN, now=now, after=after, limit=3)
        seen += texts(page)
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == [f"q{i}" for i in range(7)] + [f"c{i}" for i in range(5)]


def test_newest_first_tabs_page_through_every_item_once(workspace):
    now = timezone.now()
    for i in range(8):
        make_item(workspace, f"s{i}", label="spam", age=timedelta(minutes=i))
        make_item(workspace, f"d{i}", is_duplicate=True, age=timedelta(minutes=i, seconds=30))
    seen, after = [], None
    while True:
        page = queue_page(workspace=workspace, tab=Tab.SPAM, now=now, after=after, limit=5)
        seen += texts(page)
        if not page.next_cursor:
            break
        after = page.next_cursor
    assert seen == [name for i in range(8) for name in (f"s{i}", f"d{i}")]


def test_a_broken_cursor_is_a_clear_error(workspace):
    with pytest.raises(ValidationError, match="no longer valid"):
        queue_page(workspace=workspace, tab=Tab.MAIN, now=timezone.now(), after="garbage!")


def test_other_workspaces_items_never_show(workspace):
    from rapport.accounts.services import create_workspace

    other = create_workspace(slug="other")
    make_item(other, "not yours")
    assert queue_page(workspace=workspace, tab=Tab.MAIN, now=timezone.now()).rows == []


def _queries_for_a_page(workspace):  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        queue_page(workspace=workspace, tab=Tab.MAIN, now=timezone.now())
        tab_counts(workspace=workspace, now=timezone.now())
    return ctx.captured_queries


def test_page_cost_does_not_grow_with_the_queue(workspace):
    for i in range(5):
        make_item(workspace, f"q{i}")
    few = len(_queries_for_a_page(workspace))
    for i in range(120):
        make_item(workspace, f"more{i}", label="conversation" if i % 2 else "needs_reply")
    many = _queries_for_a_page(workspace)
    assert len(many) == few
    assert not any("OFFSET" in q["sql"].upper() for q in many)


def test_counts_stop_at_the_cap(workspace):
    from rapport.inbox import selectors

    for _ in range(5):
        make_item(workspace)
    counts = tab_counts(workspace=workspace, now=timezone.now())
    assert counts.needs_reply == 5
    old = selectors.COUNT_CAP
    try:
        selectors.COUNT_CAP = 3
        assert tab_counts(workspace=workspace, now=timezone.now()).needs_reply == 3
    finally:
        selectors.COUNT_CAP = old


def test_item_view_shows_the_whole_thread_indented(workspace):
    root = make_item(workspace, "root")
    child = make_item(workspace, "child", parent=root, root=root)
    grandchild = make_item(workspace, "grandchild", parent=child, root=root)
    make_item(workspace, "other thread")
    view = item_view(item=child, now=timezone.now())
    assert [(e.item.text, e.depth, e.is_current) for e in view.thread] == [
        ("root", 0, False),
        ("child", 1, True),
        ("grandchild", 2, False),
    ]
    assert grandchild.pk in {e.item.pk for e in view.thread}
