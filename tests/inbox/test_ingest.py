"""Ingest: records in, rows out; idempotent, threaded, batched, people counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rapport.channels.records import (
    AuthorRecord,
    ItemRecord,
    PostRecord,
    SignalRecord,
    SkippedRecord,
)
from rapport.inbox.ingest import Ingestor, ingest_records
from rapport.inbox.models import Item, ItemState, Signal
from rapport.people.models import Identity, Person
from rapport.publish.models import Post

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ANA = AuthorRecord(platform="mastodon", key="ana@example.social", display_name="Ana")
ME = AuthorRecord(platform="mastodon", key="me@example.social", display_name="Me")


def item(sid: str, parent: str = "", *, author=ANA, minutes: int = 0, **kw) -> ItemRecord:
    return ItemRecord(
        source_id=sid,
        created_at=T0 + timedelta(minutes=minutes),
        author=author,
        text=kw.pop("text", f"comment {sid}"),
        parent_source_id=parent,
        post_source_id=kw.pop("post", "p1"),
        **kw,
    )


def ingest(workspace, records, **kw):
    ingestor = Ingestor(workspace=workspace, source="test:1", **kw)
    ingestor.add_all(records)
    return ingestor.finish()


def get(sid: str) -> Item:
    return Item.objects.get(source_id=sid)


pytestmark = pytest.mark.django_db


def test_records_become_posts_items_signals_and_people(workspace):
    summary = ingest(
        workspace,
        [
            PostRecord(source_id="p1", title="Hello", html="<p>Our post</p>"),
            item("c1"),
            SignalRecord(
                source_id="l1", kind="like", created_at=T0, author=ANA, post_source_id="p1"
            ),
            SkippedRecord(source_id="x", reason="not a message"),
        ],
    )
    assert (summary.posts_created, summary.items_created, summary.signals_created) == (1, 1, 1)
    assert summary.skipped == {"not a message": 1}
    c1 = get("c1")
    assert c1.post == Post.objects.get(source_id="p1") and c1.source == "test:1"
    assert c1.author.person.display_name == "Ana"
    assert Signal.objects.get().post == c1.post
    assert Identity.objects.count() == 1 and Person.objects.count() == 1


def test_reingest_adds_nothing_twice(workspace):
    records = [PostRecord(source_id="p1"), item("c1"), item("c2", "c1")]
    ingest(workspace, records)
    again = ingest(workspace, records)
    assert (again.items_created, again.posts_created, again.already_present) == (0, 0, 3)
    assert Item.objects.count() == 2
    assert Person.objects.get().interactions == 2


def test_threads_across_batches_get_parent_and_root(workspace):
    records = [item("c0")] + [item(f"c{i}", f"c{i - 1}", minutes=i) for i in range(1, 12)]
    ingest(workspace, records, batch_size=3)
    assert get("c11").parent == get("c10")
    assert get("c11").root == get("c0") and get("c1").root == get("c0")
    assert get("c0").root is None


def test_parent_that_comes_later_is_linked_with_its_subtree(workspace):
    # c3 answers c2, which answers c1, but c1 comes last and batches split them
    records = [item("c3", "c2"), item("c2", "c1"), item("x"), item("c1")]
    summary = ingest(workspace, records, batch_size=2)
    assert summary.orphans == 0
    assert get("c2").parent == get("c1") and get("c2").root == get("c1")
    assert get("c3").parent == get("c2") and get("c3").root == get("c1")


def test_parent_later_in_the_same_batch(workspace):
    ingest(workspace, [item("c2", "c1"), item("c1")])
    assert get("c2").parent == get("c1") and get("c2").root == get("c1")


def test_reply_loops_are_broken_not_followed(workspace):
    summary = ingest(workspace, [item("a", "b"), item("b", "a"), item("s", "s")], batch_size=1)
    a, b = get("a"), get("b")
    assert not (a.parent == b and b.parent == a)
    assert get("s").parent is None
    assert summary.orphans >= 1


def test_loop_inside_one_batch_is_broken(workspace):
    ingest(workspace, [item("a", "b"), item("b", "a")])
    a, b = get("a"), get("b")
    assert not (a.parent_id == b.pk and b.parent_id == a.pk)
    assert a.root_id != a.pk and b.root_id != b.pk


def test_missing_parent_leaves_an_orphan_thread_start(workspace):
    summary = ingest(workspace, [item("c1", "gone")])
    assert summary.orphans == 1 and get("c1").parent is None


def test_reply_without_post_inherits_parents_post(workspace):
    ingest(workspace, [PostRecord(source_id="p1"), item("c1"), item("c2", "c1", post="")])
    assert get("c2").post == get("c1").post is not None


def test_own_items_are_done_and_their_author_is_self(workspace):
    ingest(workspace, [item("c1"), item("r1", "c1", author=ME, is_own=True)])
    reply = get("r1")
    assert reply.is_own and reply.state == ItemState.DONE
    assert reply.author.person.is_self
    # the owner answered it on the platform: it no longer waits in the inbox
    assert get("c1").state == ItemState.ANSWERED and not get("c1").author.person.is_self


def test_known_identity_later_seen_as_own_becomes_self(workspace):
    ingest(workspace, [item("c1", author=ME)])
    ingest(workspace, [item("c2", author=ME, is_own=True)])
    assert Person.objects.get(identities__key=ME.key).is_self


def test_interactions_count_and_last_time(workspace):
    ingest(workspace, [item("c1", minutes=5), item("c2", minutes=1)], batch_size=1)
    person = Person.objects.get()
    assert person.interactions == 2
    assert person.last_interaction_at == T0 + timedelta(minutes=5)
    ingest(workspace, [item("c3", minutes=3)])
    person.refresh_from_db()
    assert person.interactions == 3
    assert person.last_interaction_at == T0 + timedelta(minutes=5)


def test_one_identity_per_author_across_batches_and_cache_misses(workspace):
    records = [item(f"c{i}") for i in range(10)]
    ingestor = Ingestor(workspace=workspace, source="test:1", batch_size=2)
    ingestor.people.cache_size = 0
    ingestor.add_all(records)
    ingestor.finish()
    assert Identity.objects.count() == 1 and Person.objects.get().interactions == 10


def test_bounded_item_cache_falls_back_to_the_database(workspace):
    records = [item("c0")] + [item(f"c{i}", "c0") for i in range(1, 30)]
    ingestor = Ingestor(workspace=workspace, source="test:1", batch_size=4, cache_size=2)
    ingestor.add_all(records)
    ingestor.finish()
    assert len(ingestor.items) <= 2
    assert Item.objects.filter(parent=get("c0")).count() == 29


def test_html_is_sanitised_and_text_derived(workspace):
    ingest(
        workspace, [item("c1", html='<p>Hi <script>x()</script><a href="javascript:y()">z</a></p>')]
    )
    c1 = get("c1")
    assert "<script" not in c1.html and "javascript" not in c1.html
    assert c1.text == "Hi z"


def test_plain_text_records_are_escaped(workspace):
    ingest(workspace, [item("c1", text="<b>not bold</b>\n\nsecond")])
    c1 = get("c1")
    assert "&lt;b&gt;" in c1.html and "<p>second</p>" in c1.html
    assert c1.text == "<b>not bold</b>\n\nsecond"


def test_duplicate_ids_in_one_stream_are_skipped(workspace):
    summary = ingest(workspace, [item("c1"), item("c1", text="again")])
    assert summary.items_created == 1
    assert summary.skipped == {"the same id twice in the source": 1}


def test_over_long_and_empty_ids_are_skipped(workspace):
    summary = ingest(workspace, [item(""), item("x" * 301)])
    assert summary.items_created == 0 and summary.skipped_total == 2


def test_naive_times_are_taken_as_utc(workspace):
    naive = ItemRecord(source_id="n", created_at=datetime(2024, 1, 1, 8), author=None, text="hi")
    ingest(workspace, [naive])
    assert get("n").created_at == datetime(2024, 1, 1, 8, tzinfo=UTC)


def test_sources_are_separate_namespaces(workspace):
    ingest(workspace, [item("c1")])
    ingest_records(workspace=workspace, source="other:2", records=[item("c1")])
    assert Item.objects.filter(source_id="c1").count() == 2


def test_items_from_another_workspace_are_not_found(workspace):
    from rapport.accounts.services import create_workspace

    other = create_workspace(slug="other")
    ingest(other, [item("c1")])
    summary = ingest(workspace, [item("c2", "c1")])
    assert summary.orphans == 1
    assert Identity.objects.filter(workspace=workspace).count() == 1


def test_post_that_comes_after_its_comments_is_attached(workspace):
    records = [item("c1", post="late"), item("c2", "c1", post=""), item("x", post="")]
    records.append(PostRecord(source_id="late", title="Late"))
    ingest(workspace, records, batch_size=1)
    late = Post.objects.get(source_id="late")
    assert get("c1").post == late and get("c2").post == late
    assert get("x").post is None


def test_questions_the_owner_already_answered_are_not_waiting(workspace):
    from datetime import UTC, datetime

    from rapport.channels.records import AuthorRecord, ItemRecord
    from rapport.inbox.ingest import ingest_records
    from rapport.inbox.models import Item

    asked = datetime(2024, 3, 2, 10, 0, tzinfo=UTC)
    replied = datetime(2024, 3, 2, 12, 30, tzinfo=UTC)
    records = [
        # the owner's reply comes first in the file: order must not matter
        ItemRecord(
            source_id="2",
            created_at=replied,
            parent_source_id="1",
            is_own=True,
            author=AuthorRecord(platform="wxr", key="owner@example.com"),
            text="Yes, at 9.",
        ),
        ItemRecord(
            source_id="1",
            created_at=asked,
            text="Are you open on Sunday?",
            author=AuthorRecord(platform="wxr", key="ana@example.com"),
        ),
        ItemRecord(
            source_id="3",
            created_at=asked,
            text="And on Monday?",
            author=AuthorRecord(platform="wxr", key="ben@example.com"),
        ),
    ]
    summary = ingest_records(workspace=workspace, source="wxr:test", records=records)
    assert summary.answered_on_platform == 1
    question = Item.objects.get(source_id="1")
    assert question.state == "answered"
    assert question.answered_at == replied
    assert question.response_seconds == 9000
    assert Item.objects.get(source_id="3").state == "open"
    # a re-import changes nothing
    again = ingest_records(workspace=workspace, source="wxr:test", records=records)
    assert again.answered_on_platform == 0


def test_a_long_ingest_refreshes_postgres_planner_statistics(workspace, monkeypatch):
    """Inside one transaction PostgreSQL's planner must learn the table is no longer
    empty, or every identity look-up scans the whole workspace; SQLite is left alone
    (its ANALYZE would read every index, and its planner does not need it here)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr("rapport.inbox.ingest.ANALYZE_FIRST", 20)
    authors = [AuthorRecord(platform="mastodon", key=f"a{i}@x.social") for i in range(60)]
    with CaptureQueriesContext(connection) as queries:
        ingest(workspace, [item(f"c{i}", author=authors[i]) for i in range(60)], batch_size=10)
    analyzed = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]
    if connection.vendor != "postgresql":
        assert analyzed == []
        return
    assert len(analyzed) == 2  # at 20 and 40 new items
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class "
            "WHERE relname IN ('inbox_item', 'people_identity')"
        )
        estimated = dict(cursor.fetchall())
    assert estimated["inbox_item"] >= 20 and estimated["people_identity"] >= 20
