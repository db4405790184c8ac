"""The periodic sweep: nothing stuck, nothing fired twice, no old batch re-firing.

Runs every minute (``tasks.sweep_deliveries``). It only *finds* work; the
claim in ``engine.run_delivery`` decides who does it, so a sweep that overlaps
a scheduled task, or two sweeps on two machines, cannot send anything twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Subquery

from rapport.channels.models import ChannelStatus
from rapport.publish.engine import CLAIMABLE
from rapport.publish.models import Delivery, DeliveryStatus, Post, PostStatus

SWEEP_GRACE = timedelta(seconds=30)


def lease() -> timedelta:
    """How long a claim may last before the worker is presumed dead (> the HTTP timeout)."""
    return timedelta(seconds=settings.RAPPORT_DELIVERY_LEASE_SECONDS)


def max_lateness() -> timedelta:
    return timedelta(hours=settings.RAPPORT_MAX_LATENESS_HOURS)


def recover_stale(now: datetime) -> int:
    """``sending`` past its lease: the worker died mid-call, so the answer is lost."""
    return Delivery.objects.filter(
        status=DeliveryStatus.SENDING, updated_at__lt=now - lease()
    ).update(
        status=DeliveryStatus.UNCONFIRMED,
        error="the worker stopped during delivery; checking the platform before any retry",
        due_at=now,
        updated_at=now,
    )


def release_held(now: datetime) -> int:
    """Deliveries held for a reconnect go back to the queue once the channel is active."""
    ids = list(
        Delivery.objects.filter(
            status=DeliveryStatus.HELD, channel__status=ChannelStatus.ACTIVE
        ).values_list("pk", flat=True)
    )
    return Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.HELD).update(
        status=DeliveryStatus.SCHEDULED, due_at=now, error="", updated_at=now
    )


def expire_missed(now: datetime) -> int:
    """Never-tried deliveries far past their time fail visibly instead of firing late.

    Posts still awaiting approval are left alone: approving one moves its time to now.
    """
    late = now - max_lateness()
    ids = list(
        Delivery.objects.filter(
            status=DeliveryStatus.SCHEDULED,
            attempts=0,
            due_at__lt=late,
            post__status__in=(PostStatus.SCHEDULED, PostStatus.PUBLISHED),
        ).values_list("pk", flat=True)
    )
    return Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SCHEDULED, attempts=0).update(
        status=DeliveryStatus.FAILED,
        error=f"missed its time by more than {max_lateness()} (the worker was not running); "
        "not sent so that old posts do not fire at once; reschedule it",
        updated_at=now,
    )


def due_ids(now: datetime, *, grace: timedelta = SWEEP_GRACE, limit: int = 5000) -> list[int]:
    """Deliveries that should have run by now and did not."""
    return list(
        Delivery.objects.filter(
            Q(status__in=CLAIMABLE) & Q(due_at__lte=now - grace),
            post__status__in=(PostStatus.SCHEDULED, PostStatus.PUBLISHED),
            channel__status=ChannelStatus.ACTIVE,
        )
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )


def publish_finished() -> int:
    """Posts left ``scheduled`` with every delivery sent (a worker died between the writes)."""
    deliveries = Delivery.objects.filter(post=OuterRef("pk"))
    last_sent = deliveries.order_by("-sent_at").values("sent_at")[:1]
    return (
        Post.objects.filter(status=PostStatus.SCHEDULED)
        .filter(Exists(deliveries), ~Exists(deliveries.exclude(status=DeliveryStatus.SENT)))
        .update(status=PostStatus.PUBLISHED, published_at=Subquery(last_sent))
    )


def sweep(now: datetime, *, grace: timedelta = SWEEP_GRACE) -> list[int]:
    recover_stale(now)
    publish_finished()
    release_held(now)
    expire_missed(now)
    return due_ids(now, grace=grace)
