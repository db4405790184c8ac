"""The one place that turns records into rows: posts, items, signals, identities.

Records arrive one at a time from an importer or a channel fetch; they are
buffered and written a batch at a time (one query to find what already exists,
one insert per thread depth). Re-ingesting a record adds nothing: rows are
found again by ``(workspace, source, source_id)``. Memory stays flat however
long the stream: the id maps are bounded caches backed by the database, and a
reply whose parent comes later is linked in a fix-up pass (``ingest_threads``).
"""

from __future__ import annotations

import html as _html
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.db import connection, transaction

from rapport.accounts.models import Workspace
from rapport.channels.models import Channel
from rapport.channels.records import ItemRecord, PostRecord, Record, SignalRecord, SkippedRecord
from rapport.inbox.answered import mark_answered_by_own_replies
from rapport.inbox.bulk import FastInsert, lookup, reserve_ids
from rapport.inbox.ingest_threads import DeferredParents, ItemRef, link_batch
from rapport.inbox.models import Item, ItemState, Signal
from rapport.inbox.sanitize import autop, html_to_text, safe_url, sanitize_html
from rapport.people.models import Identity, Person
from rapport.people.services import IdentityResolver, author_key, record_interactions
from rapport.publish.models import Post, PostStatus

MAX_ID = 300
ANALYZE_FIRST = 20_000  # new items before the planner's statistics are first refreshed
ITEM_COLUMNS = (
    "workspace_id",
    "channel_id",
    "source",
    "source_id",
    "kind",
    "post_id",
    "parent_id",
    "root_id",
    "author_id",
    "html",
    "text",
    "url",
    "is_own",
    "signals",
    "created_at",
    "state",
)


@dataclass(slots=True)
class IngestSummary:
    """What one ingest did; ``skipped`` counts records not used, by reason."""

    posts_created: int = 0
    items_created: int = 0
    signals_created: int = 0
    already_present: int = 0
    orphans: int = 0
    answered_on_platform: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


def clean_content(record: ItemRecord) -> tuple[str, str]:
    """Safe HTML and plain text of an item; plain-text records are escaped, not parsed."""
    html = sanitize_html(record.html) if record.html else autop(_html.escape(record.text))
    text = html_to_text(html) if record.html or not record.text else record.text.strip()
    return html, text


def refresh_planner_statistics() -> None:
    """Let PostgreSQL's planner see the rows a long ingest has added so far.

    Inside one big transaction autovacuum cannot help: the statistics still say
    "empty table", and the planner then reads identities and items by the
    workspace prefix of an index and filters the rest, a scan that grows with
    every batch (a million-comment import slowed to a crawl). ``ANALYZE`` in
    the transaction counts its own new rows; run at doubling sizes, it costs a
    handful of samples per import. SQLite's planner needs no statistics here.
    """
    if connection.vendor != "postgresql":
        return
    tables = [m._meta.db_table for m in (Item, Identity, Person, Post)]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


_Pending = TypeVar("_Pending", ItemRecord, PostRecord, SignalRecord)


def _add_new(pending: dict[str, _Pending], record: _Pending) -> bool:
    """Queue ``record`` under its id; False when the source already gave that id."""
    if record.source_id in pending:
        return False
    pending[record.source_id] = record
    return True


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class Ingestor:
    """Buffer records and write them in batches; call ``finish()`` once at the end."""

    def __init__(
        self,
        *,
        workspace: Workspace,
        source: str,
        channel: Channel | None = None,
        batch_size: int = 2000,
        cache_size: int = 200_000,
        on_flush: Callable[[IngestSummary], None] | None = None,
    ) -> None:
        self.workspace = workspace
        self.source = source[:200]
        self.channel = channel
        self.batch_size = batch_size
        self.cache_size = cache_size
        self.on_flush = on_flush
        self.summary = IngestSummary()
        self.people = IdentityResolver(workspace=workspace)
        self.items: OrderedDict[str, ItemRef] = OrderedDict()
        self.posts: OrderedDict[str, int] = OrderedDict()
        self.deferred = DeferredParents(
            workspace=workspace, source=self.source, summary=self.summary
        )
        self._posts: dict[str, PostRecord] = {}
        self._items: dict[str, ItemRecord] = {}
        self._signals: dict[str, SignalRecord] = {}
        self._insert_items = FastInsert(Item, ITEM_COLUMNS)
        self._own_replies: list[str] = []
        self._interactions: dict[int, tuple[int, datetime]] = {}
        self._analyze_at = ANALYZE_FIRST

    # -- intake ---------------------------------------------------------------
    def add(self, record: Record) -> None:
        if isinstance(record, SkippedRecord):
            self.summary.skipped[record.reason] += 1
            return
        if not record.source_id or len(record.source_id) > MAX_ID:
            self.summary.skipped["missing or over-long id"] += 1
            return
        if isinstance(record, ItemRecord):
            added = _add_new(self._items, record)
        elif isinstance(record, PostRecord):
            added = _add_new(self._posts, record)
        else:
            added = _add_new(self._signals, record)
        if not added:
            self.summary.skipped["the same id twice in the source"] += 1
            return
        if len(self._items) + len(self._signals) >= self.batch_size or len(self._posts) >= 500:
            self.flush()

    def add_all(self, records: Iterable[Record]) -> None:
        for record in records:
            self.add(record)

    def finish(self) -> IngestSummary:
        self.flush()
        with transaction.atomic():
            self._write_interactions()
            self.deferred.fix(final=True)
            self.summary.answered_on_platform = mark_answered_by_own_replies(
                workspace=self.workspace, source=self.source, reply_source_ids=self._own_replies
            )
        return self.summary

    # -- writing ----------------------------------------------------------------
    def flush(self) -> None:
        # each batch is atomic on its own (reserved ids need it); an import wraps
        # the whole stream in one more transaction so that a bad file writes nothing
        in_callers_transaction = connection.in_atomic_block
        with transaction.atomic():
            if self._posts:
                self._flush_posts()
            if self._items:
                self._flush_items()
            if self._signals:
                self._flush_signals()
            if len(self.deferred) > self.cache_size and self.deferred.fix(final=False):
                self.items.clear()  # cached thread roots may have moved
            # inside the caller's transaction nothing is visible before it ends, so
            # people's counts are summed over many batches: one UPDATE per person
            # instead of one per person and batch (the main cost of a long import)
            if not in_callers_transaction or len(self._interactions) >= self.cache_size // 4:
                self._write_interactions()
            if self.summary.items_created >= self._analyze_at:
                self._analyze_at *= 2
                refresh_planner_statistics()
        if self.on_flush is not None:
            self.on_flush(self.summary)

    def _existing(self, model: type[Item] | type[Signal] | type[Post], ids: list[str]) -> set[str]:
        rows = lookup(model, (), workspace_id=self.workspace.pk, source=self.source, source_ids=ids)
        return {row[0] for row in rows}

    def _flush_posts(self) -> None:
        records, self._posts = self._posts, {}
        existing = self._existing(Post, list(records))
        self.summary.already_present += len(existing)
        self._post_ids([sid for sid in records if sid in existing])
        new = [r for sid, r in records.items() if sid not in existing]
        rows = Post.objects.bulk_create([self._post_row(r) for r in new])
        for row in rows:
            self._remember_post(row.source_id, row.pk)
        self.summary.posts_created += len(rows)

    def _post_row(self, record: PostRecord) -> Post:
        html = sanitize_html(record.html)
        return Post(
            workspace=self.workspace,
            title=record.title[:500],
            body=html,
            text=html_to_text(html),
            url=safe_url(record.url),
            status=PostStatus.IMPORTED,
            source=self.source,
            source_id=record.source_id,
            published_at=_aware(record.published_at) if record.published_at else None,
        )

    def _remember_post(self, source_id: str, pk: int) -> None:
        self.posts[source_id] = pk
        if len(self.posts) > self.cache_size:
            self.posts.popitem(last=False)

    def _post_ids(self, source_ids: Iterable[str]) -> dict[str, int]:
        """Post ids for these source ids, from the cache or one query per chunk."""
        wanted = {sid for sid in source_ids if sid}
        found = {sid: self.posts[sid] for sid in wanted if sid in self.posts}
        missing = sorted(wanted - found.keys())
        rows = lookup(
            Post, ("id",), workspace_id=self.workspace.pk, source=self.source, source_ids=missing
        )
        for sid, pk in rows:
            found[sid] = pk
            self._remember_post(sid, pk)
        return found

    def _flush_items(self) -> None:
        records, self._items = self._items, {}
        existing = self._item_refs(list(records))
        self.summary.already_present += len(existing)
        new = {sid: r for sid, r in records.items() if sid not in existing}
        if not new:
            return
        authors = [r.author for r in new.values() if r.author is not None]
        own = [author_key(r.author) for r in new.values() if r.is_own and r.author is not None]
        identities = self.people.resolve(authors, own=own)
        posts = self._post_ids(r.post_source_id for r in new.values())
        # membership tests, not ``set - cache.keys()``: that walks the whole cache
        unknown = {
            r.parent_source_id
            for r in new.values()
            if r.parent_source_id
            and r.parent_source_id not in new
            and r.parent_source_id not in self.items
        }
        self._item_refs(sorted(unknown))
        for sid, record in new.items():
            if record.post_source_id and record.post_source_id not in posts:
                self.deferred.add_post(sid, record.post_source_id)  # the post may come later
        ids = dict(zip(new, reserve_ids(Item, len(new)), strict=True))
        links = link_batch(
            parents={sid: r.parent_source_id for sid, r in new.items()},
            ids=ids,
            posts={sid: posts.get(r.post_source_id) for sid, r in new.items()},
            known=self.items.get,
            deferred=self.deferred,
        )
        stats = self._interactions
        rows = []
        for sid, record in new.items():
            parent_id, ref = links[sid]
            author = identities[author_key(record.author)] if record.author else None
            created = _aware(record.created_at)
            rows.append(
                self._item_row(record, ref, parent_id, author[0] if author else None, created)
            )
            self._remember_item(sid, ref)
            if record.is_own and record.parent_source_id:
                self._own_replies.append(sid)
            if author is not None:
                count, newest = stats.get(author[1], (0, created))
                stats[author[1]] = (count + 1, max(newest, created))
        self._insert_items.insert(rows)
        self.summary.items_created += len(rows)

    def _write_interactions(self) -> None:
        stats, self._interactions = self._interactions, {}
        record_interactions(stats)

    def _item_row(
        self,
        record: ItemRecord,
        ref: ItemRef,
        parent_id: int | None,
        author_id: int | None,
        created: datetime,
    ) -> tuple[Any, ...]:
        html, text = clean_content(record)
        return (
            ref.id,
            self.workspace.pk,
            self.channel.pk if self.channel else None,
            self.source,
            record.source_id,
            record.kind,
            ref.post_id,
            parent_id,
            ref.root_id if parent_id is not None else None,
            author_id,
            html,
            text,
            safe_url(record.url),
            record.is_own,
            dict(record.signals),
            created,
            ItemState.DONE if record.is_own else ItemState.OPEN,
        )

    def _remember_item(self, source_id: str, ref: ItemRef) -> None:
        self.items[source_id] = ref
        if len(self.items) > self.cache_size:
            self.items.popitem(last=False)

    def _item_refs(self, source_ids: list[str]) -> dict[str, ItemRef]:
        """Look items up by source id (one query per chunk) and cache what is found."""
        found: dict[str, ItemRef] = {}
        rows = lookup(
            Item,
            ("id", "root_id", "post_id"),
            workspace_id=self.workspace.pk,
            source=self.source,
            source_ids=source_ids,
        )
        for sid, pk, root_id, post_id in rows:
            found[sid] = ItemRef(pk, root_id or pk, post_id)
            self._remember_item(sid, found[sid])
        return found

    def _flush_signals(self) -> None:
        records, self._signals = self._signals, {}
        existing = self._existing(Signal, list(records))
        self.summary.already_present += len(existing)
        new = [r for sid, r in records.items() if sid not in existing]
        identities = self.people.resolve(r.author for r in new if r.author is not None)
        posts = self._post_ids(r.post_source_id for r in new)
        rows = Signal.objects.bulk_create(
            Signal(
                workspace=self.workspace,
                source=self.source,
                source_id=r.source_id,
                kind=r.kind,
                post_id=posts.get(r.post_source_id),
                author_id=identities[author_key(r.author)][0] if r.author else None,
                created_at=_aware(r.created_at),
            )
            for r in new
        )
        self.summary.signals_created += len(rows)


def ingest_records(
    *,
    workspace: Workspace,
    source: str,
    records: Iterable[Record],
    channel: Channel | None = None,
) -> IngestSummary:
    """Write ``records`` (from a fetch or an archive) and return what changed.

    Call inside ``transaction.atomic()`` when the whole stream must land or
    nothing (archive imports do); a fetch may commit batch by batch.
    """
    ingestor = Ingestor(workspace=workspace, source=source, channel=channel)
    ingestor.add_all(records)
    return ingestor.finish()
