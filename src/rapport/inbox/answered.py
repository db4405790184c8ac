"""Items the owner already answered on the platform itself.

An archive holds years of threads in which the owner replied long ago; a live
channel brings replies the owner wrote in the platform's own app. Either way
the question is answered: it must leave the inbox, and the time it took counts
in the report's response times.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import Min, Q

from rapport.accounts.models import Workspace
from rapport.inbox.bulk import FastInsert
from rapport.inbox.models import Item, ItemState

CHUNK = 500


def mark_answered_by_own_replies(
    *, workspace: Workspace, source: str, reply_source_ids: Iterable[str]
) -> int:
    """Mark the parents of these own replies answered; return how many changed.

    The answer time is the owner's first reply, which may be older than these
    (an earlier import). One read and one ``executemany`` per chunk: an archive
    with tens of thousands of answered threads must not cost a query per thread.
    """
    ids = list(reply_source_ids)
    table = connection.ops.quote_name(Item._meta.db_table)
    adapt = FastInsert.adapter(Item._meta.get_field("answered_at")) or (lambda v: v)
    sql = (
        f"UPDATE {table} SET state = %s, answered_at = %s, response_seconds = %s "
        "WHERE id = %s AND state = %s"
    )
    changed = 0
    for start in range(0, len(ids), CHUNK):
        parent_ids = Item.objects.filter(
            workspace=workspace,
            source=source,
            source_id__in=ids[start : start + CHUNK],
            parent__isnull=False,
        ).values("parent_id")
        targets = (
            Item.objects.filter(pk__in=parent_ids, state=ItemState.OPEN, is_own=False)
            .annotate(first_reply_at=Min("children__created_at", filter=Q(children__is_own=True)))
            .values_list("pk", "created_at", "first_reply_at")
        )
        params = []
        for pk, created_at, answered_at in targets:
            seconds = max(0, int((answered_at - created_at).total_seconds()))
            params.append((ItemState.ANSWERED, adapt(answered_at), seconds, pk, ItemState.OPEN))
        if params:
            with connection.cursor() as cursor:
                cursor.executemany(sql, params)
        changed += len(params)
    return changed
