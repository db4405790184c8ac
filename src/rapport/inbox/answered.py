"""Items the owner already answered on the platform itself.

An archive holds years of threads in which the owner replied long ago; a live
channel brings replies the owner wrote in the platform's own app. Either way
the question is answered: it must leave the inbox, and the time it took counts
in the report's response times.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import OuterRef, Subquery

from rapport.accounts.models import Workspace
from rapport.inbox.models import Item, ItemState

CHUNK = 500


def mark_answered_by_own_replies(
    *, workspace: Workspace, source: str, reply_source_ids: Iterable[str]
) -> int:
    """Mark the parents of these own replies answered; return how many changed."""
    first_own_reply = (
        Item.objects.filter(parent=OuterRef("pk"), is_own=True)
        .order_by("created_at")
        .values("created_at")[:1]
    )
    changed = 0
    ids = list(reply_source_ids)
    for start in range(0, len(ids), CHUNK):
        parent_ids = Item.objects.filter(
            workspace=workspace,
            source=source,
            source_id__in=ids[start : start + CHUNK],
            parent__isnull=False,
        ).values("parent_id")
        targets = list(
            Item.objects.filter(pk__in=parent_ids, state=ItemState.OPEN, is_own=False)
            .annotate(first_reply_at=Subquery(first_own_reply))
            .only("pk", "created_at", "state", "answered_at", "response_seconds")
        )
        for item in targets:
            item.state = ItemState.ANSWERED
            item.answered_at = item.first_reply_at  # type: ignore[attr-defined]
            seconds = (item.answered_at - item.created_at).total_seconds()
            item.response_seconds = max(0, int(seconds))
        Item.objects.bulk_update(targets, ["state", "answered_at", "response_seconds"])
        changed += len(targets)
    return changed
