"""Many deliveries in one task: claimed in chunks by one conditional UPDATE each.

The guarantees are those of ``engine`` (read it first); only the unit of work
changes:

* **claim** — ``UPDATE ... SET status='sending' WHERE id IN (...) AND
  status=<what it was> AND due_at <= now RETURNING id``: one statement claims a
  chunk, and a row it does not return belongs to someone else. On SQLite the
  statement holds the write lock; on PostgreSQL a concurrent claimer waits on
  the row and re-checks ``status``. Either way two claimers never share a row.
* A chunk is small (``CLAIM_CHUNK``) and claimed just before it is sent, so a
  worker killed mid-batch leaves at most one chunk ``sending``: the sweep turns
  it ``unconfirmed`` after the lease, and each is looked up (or re-sent with
  its own idempotency key) exactly like a single lost answer. Channels that
  cannot de-duplicate (no ``idempotent_publish``) are claimed one at a time.
* Each delivery's outcome is written (one UPDATE, guarded by ``status='sending'``)
  before the next one is sent.
* Claimed rows not yet attempted when the batch stops early (an error, or half
  the lease used up) go back to the state they were claimed from.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import F, Field
from django.utils import timezone

from rapport.channels.base import Channel as ChannelPlugin
from rapport.channels.models import Channel, ChannelStatus
from rapport.channels.registry import channel_class
from rapport.channels.services import open_channel
from rapport.publish.engine import (
    CLAIMABLE,
    EARLY_TOLERANCE,
    _attempt,
    _finish,
    http_client,
    mark_published,
)
from rapport.publish.models import Delivery, DeliveryStatus, PostStatus

log = logging.getLogger(__name__)

CLAIM_CHUNK = 10
LIVE_POSTS = (PostStatus.SCHEDULED, PostStatus.PUBLISHED)


def _column(name: str) -> str:
    """The database column of ``Delivery``'s concrete field ``name``."""
    field = Delivery._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise TypeError(f"Delivery.{name} has no column of its own")
    return field.column


def claim_many(ids: Sequence[int], *, now: datetime, status: str) -> list[int]:
    """Claim those of ``ids`` that are still ``status`` and due; return the ids claimed."""
    if not ids:
        return []
    ops, meta = connection.ops, Delivery._meta
    q = ops.quote_name
    col = {name: q(_column(name)) for name in ("status", "attempts", "due_at", "updated_at")}
    pk = q(_column(meta.pk.name))
    sql = (
        f"UPDATE {q(meta.db_table)} SET {col['status']} = %s, "
        f"{col['attempts']} = {col['attempts']} + 1, {col['updated_at']} = %s "
        f"WHERE {pk} IN ({', '.join(['%s'] * len(ids))}) AND {col['status']} = %s "
        f"AND {col['due_at']} <= %s RETURNING {pk}"
    )
    params = [
        DeliveryStatus.SENDING.value,
        ops.adapt_datetimefield_value(now),
        *ids,
        str(status),
        ops.adapt_datetimefield_value(now + EARLY_TOLERANCE),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def release(claimed: dict[int, str]) -> None:
    """Give back claimed rows that were never attempted (the claim did not count)."""
    for status in set(claimed.values()):
        ids = [pk for pk, was in claimed.items() if was == status]
        Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENDING).update(
            status=status, attempts=F("attempts") - 1, updated_at=timezone.now()
        )


def _chunks(rows: list[tuple[int, str]], size: int) -> Iterable[list[tuple[int, str]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def run_batch(delivery_ids: Iterable[int], *, now: datetime | None = None) -> dict[int, str]:
    """Attempt those of ``delivery_ids`` that are due; return ``{id: new status}`` for each claimed.

    ``now`` pins the clock (tests); otherwise each chunk reads the time afresh.
    """
    ids = list(dict.fromkeys(delivery_ids))
    start = now or timezone.now()
    rows = list(
        Delivery.objects.filter(
            pk__in=ids,
            status__in=CLAIMABLE,
            due_at__lte=start + EARLY_TOLERANCE,
            post__status__in=LIVE_POSTS,
        )
        .order_by("due_at", "pk")
        .values_list("pk", "status", "channel_id")
    )
    by_channel: dict[int, list[tuple[int, str]]] = {}
    for pk, status, channel_id in rows:
        by_channel.setdefault(channel_id, []).append((pk, status))
    channels = Channel.objects.in_bulk(list(by_channel))
    results: dict[int, str] = {}
    for channel_id, channel_rows in by_channel.items():
        channel = channels.get(channel_id)
        if channel is None:
            continue
        results.update(_run_channel(channel, channel_rows, now=now))
    return results


def _run_channel(
    channel: Channel, rows: list[tuple[int, str]], *, now: datetime | None
) -> dict[int, str]:
    results: dict[int, str] = {}
    cls = channel_class(channel.kind)
    size = CLAIM_CHUNK if getattr(cls, "idempotent_publish", False) else 1
    lease_budget = settings.RAPPORT_DELIVERY_LEASE_SECONDS / 2
    plugin: ChannelPlugin | None = None
    for chunk in _chunks(rows, size):
        at = now or timezone.now()
        claimed: dict[int, str] = {}
        for from_status in (DeliveryStatus.SCHEDULED, DeliveryStatus.UNCONFIRMED):
            wanted = [pk for pk, was in chunk if was == from_status]
            claimed.update(
                dict.fromkeys(claim_many(wanted, now=at, status=from_status), from_status)
            )
        if not claimed:
            continue
        claimed_at = time.monotonic()
        deliveries = Delivery.objects.select_related("post").in_bulk(list(claimed))
        sent_posts: list[int] = []
        try:
            for pk in [pk for pk, _ in chunk if pk in claimed]:
                claimed_from = claimed.pop(pk)
                delivery = deliveries.get(pk)
                if delivery is None:  # deleted with its post meanwhile
                    continue
                delivery.channel = channel
                delivery.attempts += 1
                if channel.status != ChannelStatus.ACTIVE:
                    _finish(pk, status=DeliveryStatus.HELD, error=channel.status_message)
                    results[pk] = DeliveryStatus.HELD
                    continue
                if time.monotonic() - claimed_at > lease_budget:
                    claimed[pk] = claimed_from  # too slow: give the rest back, unsent
                    break
                if plugin is None:
                    plugin = open_channel(channel, http=http_client())
                status = _attempt(
                    delivery, claimed_from, now or timezone.now(), channel=plugin, mark_post=False
                )
                results[pk] = status
                if status == DeliveryStatus.SENT:
                    sent_posts.append(delivery.post_id)
                elif status == DeliveryStatus.HELD:  # the channel now needs a reconnect
                    channel.refresh_from_db(fields=["status", "status_message"])
        finally:
            if claimed:
                release(claimed)
                _requeue(list(claimed))
            mark_published(sent_posts, now or timezone.now())
    return results


def _requeue(ids: list[int]) -> None:
    from rapport.publish.tasks import enqueue_batches

    try:
        enqueue_batches(ids, delay=1.0)
    except Exception:  # the sweep finds them within a minute
        log.warning("could not re-queue %d released deliveries", len(ids), exc_info=True)
