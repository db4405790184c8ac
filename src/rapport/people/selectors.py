"""Reads for people: the list (most recent interaction first) and a person's timeline.

Read-only; identities and people are written by ``people.services`` during ingest.
The list reads the counts ingest keeps on each person (``interactions``) instead of
counting items per page: a list of people must not cost a scan of a million items.
"""

from __future__ import annotations

import base64
import binascii
import heapq
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from rapport.accounts.models import Workspace
from rapport.errors import ValidationError
from rapport.inbox.models import Item
from rapport.people.models import Identity, Person

PAGE_SIZE = 50
TIMELINE_LIMIT = 200
REPLIES_READ = 5000


@dataclass(frozen=True, slots=True)
class PersonRow:
    """A person on the list; ``person.interactions`` is their count, kept by ingest."""

    person: Person
    platforms: list[str]


@dataclass(frozen=True, slots=True)
class PeoplePage:
    rows: list[PersonRow]
    next_cursor: str | None


def _encode(last: datetime | None, pk: int) -> str:
    raw = f"{last.isoformat() if last else ''}|{pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(value: str) -> tuple[datetime | None, int]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        last, pk = raw.split("|")
        return (datetime.fromisoformat(last) if last else None), int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ValidationError("this page link is no longer valid", field="after") from None


def people(*, workspace: Workspace, query: str = "") -> QuerySet[Person]:
    """People who wrote to the workspace (not its own accounts), optionally searched."""
    qs = Person.objects.filter(workspace=workspace, is_self=False)
    query = query.strip()
    if query:
        handle = Identity.objects.filter(person=OuterRef("pk")).filter(
            Q(display_name__icontains=query) | Q(key__icontains=query) | Q(email__icontains=query)
        )
        qs = qs.filter(Q(display_name__icontains=query) | Exists(handle))
    return qs


def _after(qs: QuerySet[Person], cursor: str | None) -> QuerySet[Person]:
    if not cursor:
        return qs
    last, pk = _decode(cursor)
    if last is None:
        return qs.filter(last_interaction_at__isnull=True, pk__lt=pk)
    return qs.filter(
        Q(last_interaction_at__lt=last)
        | Q(last_interaction_at=last, pk__lt=pk)
        | Q(last_interaction_at__isnull=True)
    )


def people_page(
    *, workspace: Workspace, query: str = "", after: str | None = None, limit: int = PAGE_SIZE
) -> PeoplePage:
    qs = _after(people(workspace=workspace, query=query), after)
    found = list(qs.order_by(F("last_interaction_at").desc(nulls_last=True), "-pk")[: limit + 1])
    page = found[:limit]
    platforms: dict[int, set[str]] = {}
    for person_id, platform in Identity.objects.filter(
        person_id__in=[p.pk for p in page]
    ).values_list("person_id", "platform"):
        platforms.setdefault(person_id, set()).add(platform)
    rows = [PersonRow(p, sorted(platforms.get(p.pk, ()))) for p in page]
    next_cursor = _encode(page[-1].last_interaction_at, page[-1].pk) if len(found) > limit else None
    return PeoplePage(rows=rows, next_cursor=next_cursor)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    item: Item
    is_reply: bool  # the owner's reply to this person


@dataclass(frozen=True, slots=True)
class PersonView:
    person: Person
    identities: list[Identity]
    timeline: list[TimelineEntry]
    truncated: bool


def person_in(*, workspace: Workspace, person_id: int) -> Person | None:
    return Person.objects.filter(workspace=workspace, pk=person_id).first()


def person_view(*, person: Person, limit: int = TIMELINE_LIMIT) -> PersonView:
    """Their items and the owner's replies to them, newest first, merged from two reads."""
    handles = list(person.identities.values_list("id", flat=True))
    theirs = Item.objects.filter(workspace_id=person.workspace_id, author_id__in=handles)
    written = list(
        theirs.filter(is_own=False)
        .select_related("post", "author")
        .order_by("-created_at", "-id")[: limit + 1]
    )
    # Replies joined through their parent's author: SQLite walks this person's items
    # (item_author) and probes item_parent for each, instead of first building an
    # IN-list of every item they ever wrote. No ORDER BY: with one, SQLite walks
    # the workspace's newest items instead. A reply older than the oldest message
    # read above cannot reach the page, so those are not read; replies to one
    # person are few, so they are sorted here.
    replies = Item.objects.select_related("post", "parent").filter(
        workspace_id=person.workspace_id, is_own=True, parent__author_id__in=handles
    )
    if len(written) > limit:
        replies = replies.filter(created_at__gte=written[-1].created_at)
    answered = sorted(
        replies[:REPLIES_READ],
        key=lambda reply: (reply.created_at, reply.pk),
        reverse=True,
    )[: limit + 1]
    merged = heapq.merge(
        ((i, False) for i in written),
        ((i, True) for i in answered),
        key=lambda pair: (pair[0].created_at, pair[0].pk),
        reverse=True,
    )
    timeline = [TimelineEntry(item, is_reply) for item, is_reply in merged]
    return PersonView(
        person=person,
        identities=list(person.identities.order_by("platform", "key")),
        timeline=timeline[:limit],
        truncated=len(timeline) > limit,
    )
