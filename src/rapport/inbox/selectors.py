"""Reads for the inbox queue: tabs as merged index streams, paginated by keyset.

Every tab is a handful of *streams*, each an equality match on the ``inbox_queue``
index (workspace, state, label, is_duplicate) ordered by ``created_at``. Each
stream is read with ``LIMIT page+1`` from the cursor and the streams are merged
here, so a page costs a few index range scans whatever the table size: no
``OFFSET``, no ``COUNT(*)`` over the workspace, no sort of the whole queue.
"""

from __future__ import annotations

import base64
import binascii
import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from django.db import connection
from django.db.models import IntegerField, JSONField, OuterRef, Q, QuerySet, Subquery, Value

from rapport.accounts.models import Workspace
from rapport.errors import ValidationError
from rapport.inbox.models import Item, ItemState, Label
from rapport.triage.models import TriageDecision

PAGE_SIZE = 30
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
COUNT_CAP = 100
_LABELS = [*Label.values, ""]


class Tab(StrEnum):
    MAIN = "main"
    APPRECIATION = "appreciation"
    SPAM = "spam"
    DONE = "done"


TAB_TITLES = {
    Tab.MAIN: "Needs reply & conversation",
    Tab.APPRECIATION: "Appreciation",
    Tab.SPAM: "Spam & duplicates",
    Tab.DONE: "Done",
}


@dataclass(frozen=True, slots=True)
class Stream:
    """One equality match on the queue index; ``rank`` orders streams in the main view."""

    state: str
    label: str
    is_duplicate: bool
    rank: int = 0


_DONE_STATES = (ItemState.ANSWERED, ItemState.DONE)
_STREAMS: dict[Tab, tuple[Stream, ...]] = {
    # Needs reply first, then conversation, then anything triage has not seen yet:
    # nothing that needs an answer may get lost while the classifier catches up.
    Tab.MAIN: (
        Stream(ItemState.OPEN, Label.NEEDS_REPLY, False, 0),
        Stream(ItemState.OPEN, Label.CONVERSATION, False, 1),
        Stream(ItemState.OPEN, "", False, 2),
    ),
    Tab.APPRECIATION: (Stream(ItemState.OPEN, Label.APPRECIATION, False),),
    Tab.SPAM: (
        Stream(ItemState.OPEN, Label.SPAM, False),
        *(Stream(ItemState.OPEN, label, True) for label in _LABELS),
    ),
    Tab.DONE: tuple(
        Stream(state, label, dup)
        for state in _DONE_STATES
        for label in _LABELS
        for dup in (False, True)
    ),
}
# The main view serves the longest wait first; the other tabs the newest first.
_OLDEST_FIRST = {Tab.MAIN}


@dataclass(frozen=True, slots=True)
class Cursor:
    rank: int
    created_at: datetime
    id: int

    def encode(self) -> str:
        raw = f"{self.rank}|{self.created_at.isoformat()}|{self.id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            rank, created, pk = raw.split("|")
            moment = datetime.fromisoformat(created)
            if moment.tzinfo is None:
                raise ValueError("naive")
            return cls(int(rank), moment, int(pk))
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise ValidationError("this page link is no longer valid", field="after") from None


@dataclass(frozen=True, slots=True)
class Row:
    item: Item
    rank: int
    waited: timedelta
    late: bool


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Row]
    next_cursor: str | None


def _micros(moment: datetime) -> int:
    """Exact integer ordering key; a float timestamp would blur microseconds."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


# ``is_duplicate=False`` compiles to ``NOT is_duplicate`` on SQLite, which the planner
# cannot match to the index column, so it would sort the whole stream instead.
# ``is_duplicate IN (0)`` is an equality it can use; the streams filter that way.


def incoming(workspace: Workspace) -> QuerySet[Item]:
    """Items people wrote to the workspace; its own posts and replies never count."""
    return Item.objects.filter(workspace=workspace, is_own=False)


def _stream_query(
    workspace: Workspace, stream: Stream, cursor: Cursor | None, oldest_first: bool
) -> QuerySet[Item] | None:
    qs = incoming(workspace).filter(
        state=stream.state, label=stream.label, is_duplicate__in=[stream.is_duplicate]
    )
    if cursor is not None:
        if stream.rank < cursor.rank:
            return None
        if stream.rank == cursor.rank:
            if oldest_first:
                qs = qs.filter(created_at__gte=cursor.created_at).filter(
                    Q(created_at__gt=cursor.created_at) | Q(id__gt=cursor.id)
                )
            else:
                qs = qs.filter(created_at__lte=cursor.created_at).filter(
                    Q(created_at__lt=cursor.created_at) | Q(id__lt=cursor.id)
                )
    order = ("created_at", "id") if oldest_first else ("-created_at", "-id")
    return qs.order_by(*order)


def _read_streams(parts: list[QuerySet[Any]]) -> list[tuple[int, datetime, int]]:
    """All streams in one round trip where the database allows a LIMIT per UNION part
    (PostgreSQL); one query per stream otherwise (SQLite, which runs in-process)."""
    if len(parts) > 1 and connection.features.supports_slicing_ordering_in_compound:
        return list(parts[0].union(*parts[1:], all=True))
    return [row for part in parts for row in part]


def queue_page(
    *,
    workspace: Workspace,
    tab: Tab,
    now: datetime,
    after: str | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """One page of ``tab``, longest waiting first in the main view, newest first elsewhere."""
    cursor = Cursor.decode(after) if after else None
    oldest_first = tab in _OLDEST_FIRST
    sign = 1 if oldest_first else -1
    parts = []
    for stream in _STREAMS[tab]:
        qs = _stream_query(workspace, stream, cursor, oldest_first)
        if qs is not None:
            # Keys only, read in index order: limit+1 rows per stream, whatever the size.
            rank = Value(stream.rank, output_field=IntegerField())
            parts.append(
                qs.annotate(rank=rank).values_list("id", "created_at", "rank")[: limit + 1]
            )
    keys = [
        ((rank, sign * _micros(created_at), sign * pk), pk, created_at)
        for pk, created_at, rank in _read_streams(parts)
    ]
    best = heapq.nsmallest(limit + 1, keys, key=lambda entry: entry[0])
    items = Item.objects.select_related("author", "post").in_bulk([pk for _, pk, _ in best[:limit]])
    target = timedelta(hours=workspace.response_target_hours)
    rows = [
        Row(
            item=items[pk],
            rank=key[0],
            waited=now - created,
            # The target is a promise to answer questions; a conversation is never late.
            late=now - created > target and items[pk].label != Label.CONVERSATION,
        )
        for key, pk, created in best[:limit]
        if pk in items
    ]
    next_cursor = None
    if len(best) > limit:
        key, pk, created = best[limit - 1]
        next_cursor = Cursor(key[0], created, pk).encode()
    return Page(rows=rows, next_cursor=next_cursor)


def _capped(querysets: Iterable[QuerySet[Item]], cap: int) -> int:
    total = 0
    for qs in querysets:
        total += qs[: cap - total].count()
        if total >= cap:
            break
    return total


@dataclass(frozen=True, slots=True)
class TabCounts:
    """Counts capped at ``COUNT_CAP``: the desk shows "99+" rather than scan a million rows."""

    needs_reply: int
    late: int
    conversation: int
    appreciation: int
    spam: int
    cap: int = COUNT_CAP


def tab_counts(*, workspace: Workspace, now: datetime) -> TabCounts:
    open_items = incoming(workspace).filter(state=ItemState.OPEN, is_duplicate__in=[False])
    cutoff = now - timedelta(hours=workspace.response_target_hours)
    needs_reply = open_items.filter(label=Label.NEEDS_REPLY)
    duplicates = (
        incoming(workspace).filter(state=ItemState.OPEN, label=label, is_duplicate__in=[True])
        for label in _LABELS
    )
    return TabCounts(
        needs_reply=_capped([needs_reply], COUNT_CAP),
        late=_capped([needs_reply.filter(created_at__lt=cutoff)], COUNT_CAP),
        conversation=_capped([open_items.filter(label=Label.CONVERSATION)], COUNT_CAP),
        appreciation=_capped([open_items.filter(label=Label.APPRECIATION)], COUNT_CAP),
        spam=_capped([open_items.filter(label=Label.SPAM), *duplicates], COUNT_CAP),
    )


def next_waiting(*, workspace: Workspace, current: Item, now: datetime) -> Item | None:
    """The first item of the main view other than ``current``: where the owner goes next."""
    page = queue_page(workspace=workspace, tab=Tab.MAIN, now=now, limit=2)
    return next((row.item for row in page.rows if row.item.pk != current.pk), None)


# --- the item page -------------------------------------------------------------------

THREAD_LIMIT = 300


@dataclass(frozen=True, slots=True)
class ThreadEntry:
    item: Item
    depth: int
    is_current: bool


@dataclass(frozen=True, slots=True)
class ItemView:
    """Everything the item page shows: the thread, the post it answers, why it was labelled."""

    item: Item
    thread: list[ThreadEntry]
    thread_truncated: bool
    decision: TriageDecision | None
    waited: timedelta
    late: bool


def item_in(*, workspace: Workspace, item_id: int) -> Item | None:
    """The item, only if it belongs to ``workspace`` (ids are never trusted across workspaces)."""
    return (
        Item.objects.select_related("workspace", "author", "author__person", "post", "channel")
        .filter(workspace=workspace, pk=item_id)
        .first()
    )


def latest_decision(item: Item) -> TriageDecision | None:
    return TriageDecision.objects.filter(item=item).order_by("-created_at", "-id").first()


def thread_of(item: Item) -> tuple[list[ThreadEntry], bool]:
    """The whole thread in time order, indented by reply depth; capped for huge threads."""
    root_id = item.root_id or item.pk
    members = list(
        Item.objects.select_related("author", "parent", "channel")
        .filter(workspace_id=item.workspace_id)
        .filter(Q(pk=root_id) | Q(root_id=root_id))
        .order_by("created_at", "id")[: THREAD_LIMIT + 1]
    )
    truncated = len(members) > THREAD_LIMIT
    members = members[:THREAD_LIMIT]
    if item.pk not in {m.pk for m in members}:
        members.append(item)
    parents = {m.pk: m.parent_id for m in members}
    entries = []
    for member in members:
        depth, seen, parent = 0, set(), parents.get(member.pk)
        while parent is not None and parent in parents and parent not in seen:
            seen.add(parent)
            depth += 1
            parent = parents[parent]
        entries.append(ThreadEntry(member, min(depth, 6), member.pk == item.pk))
    return entries, truncated


def item_view(*, item: Item, now: datetime) -> ItemView:
    thread, truncated = thread_of(item)
    waited = (item.answered_at or now) - item.created_at
    target = timedelta(hours=item.workspace.response_target_hours)
    return ItemView(
        item=item,
        thread=thread,
        thread_truncated=truncated,
        decision=latest_decision(item),
        waited=waited,
        late=waited > target and item.label == Label.NEEDS_REPLY,
    )


# --- export ---------------------------------------------------------------------------

# export field -> the ORM column it comes from; one list so the two cannot drift apart
EXPORT_COLUMNS = {
    "source": "source",
    "source_id": "source_id",
    "post_source_id": "post__source_id",
    "parent_source_id": "parent__source_id",
    "kind": "kind",
    "author": "author__display_name",
    "author_key": "author__key",
    "is_own": "is_own",
    "label": "label",
    "flags": "flags",
    "confidence": "confidence",
    "reasons": "reasons",
    "state": "state",
    "created_at": "created_at",
    "answered_at": "answered_at",
    "response_seconds": "response_seconds",
    "url": "url",
    "text": "text",
}
EXPORT_FIELDS = tuple(EXPORT_COLUMNS)


def export_records(*, workspace: Workspace, chunk_size: int = 2000) -> Iterator[dict[str, Any]]:
    """One plain record per item, streamed from the database in constant memory.

    ``reasons`` come from each item's latest triage decision through a correlated
    subquery on the ``decision_latest`` index, so no decision is loaded twice.
    """
    latest = TriageDecision.objects.filter(item=OuterRef("pk")).order_by("-created_at", "-id")
    rows = (
        Item.objects.filter(workspace=workspace)
        .annotate(reasons=Subquery(latest.values("reasons")[:1], output_field=JSONField()))
        .order_by("id")
        .values_list(*EXPORT_COLUMNS.values())
    )
    for row in rows.iterator(chunk_size=chunk_size):
        record = dict(zip(EXPORT_FIELDS, row, strict=True))
        record["author"] = record["author"] or record["author_key"] or ""
        record["post_source_id"] = record["post_source_id"] or ""
        record["parent_source_id"] = record["parent_source_id"] or ""
        record["flags"] = list(record["flags"] or [])
        record["reasons"] = list(record["reasons"] or [])
        record["created_at"] = record["created_at"].isoformat()
        if record["answered_at"] is not None:
            record["answered_at"] = record["answered_at"].isoformat()
        yield record
