"""Running one delivery, exactly once, whatever the queue does.

Huey delivers tasks at least once, and workers can die at any moment, so the
engine never trusts the queue for correctness:

* **claim** — ``scheduled``/``unconfirmed`` → ``sending`` with a conditional
  UPDATE on the delivery row alone; a second task for the same delivery finds
  nothing to claim and does nothing.
* **answer lost** (timeout, dropped connection, worker killed while
  ``sending``) → ``unconfirmed``. The next attempt first asks the channel
  (``find_published``); only when the post is not there, and the channel
  de-duplicates by idempotency key, is it sent again — with the same key.
* **back-off** — exponential, at least the platform's ``Retry-After``.
* **auth** — the channel is marked "needs reconnect" and the delivery is
  ``held`` until the channel is active again (the sweep releases it).
* **permanent** — ``failed`` with the platform's message, shown on the post.
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rapport.channels.models import ChannelStatus
from rapport.channels.records import OutboundPost, PublishResult
from rapport.channels.services import mark_needs_reconnect, open_channel
from rapport.errors import (
    ChannelAuthError,
    PermanentChannelError,
    RateLimited,
    TemporaryChannelError,
)
from rapport.publish.models import Delivery, DeliveryStatus, Post, PostStatus
from rapport.publish.render import render

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = 30.0
BACKOFF_CAP = 3600.0
EARLY_TOLERANCE = timedelta(seconds=1)
NEVER = datetime(9999, 1, 1, tzinfo=UTC)
CLAIMABLE = (DeliveryStatus.SCHEDULED, DeliveryStatus.UNCONFIRMED)


def backoff_seconds(attempts: int) -> float:
    """30 s, 60 s, 120 s, ... capped at an hour, with ±10 % jitter against stampedes."""
    base = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return base * random.uniform(0.9, 1.1)


def claim(delivery_id: int, *, now: datetime) -> str | None:
    """Take the delivery for this worker; return the status it was claimed from, or None."""
    for status in CLAIMABLE:
        claimed = Delivery.objects.filter(
            pk=delivery_id, status=status, due_at__lte=now + EARLY_TOLERANCE
        ).update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, updated_at=now)
        if claimed:
            return status
    return None


def outbound(delivery: Delivery) -> OutboundPost:
    post = delivery.post
    return OutboundPost(
        delivery_id=delivery.pk,
        idempotency_key=str(delivery.idempotency_key),
        title=post.title,
        text=delivery.body,
        html=render(post.body, link_map=_link_map(post)).html,
        url=post.url,
    )


def _link_map(post: Post) -> dict[str, str]:
    from rapport.publish.links import tracked_map

    return tracked_map(post)


def _finish(delivery_id: int, **fields: object) -> None:
    """Write the outcome, only if this worker still holds the claim."""
    Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING).update(
        updated_at=timezone.now(), **fields
    )


def _sent(delivery: Delivery, result: PublishResult, now: datetime) -> None:
    with transaction.atomic():
        _finish(
            delivery.pk,
            status=DeliveryStatus.SENT,
            remote_id=result.remote_id[:300],
            remote_url=result.remote_url[:1000],
            error="",
            sent_at=now,
        )
        post = Post.objects.select_for_update().get(pk=delivery.post_id)
        if not post.deliveries.exclude(status=DeliveryStatus.SENT).exists():
            Post.objects.filter(pk=post.pk).update(status=PostStatus.PUBLISHED, published_at=now)


def _retry(delivery: Delivery, error: str, now: datetime, *, status: str, at_least: float) -> None:
    if delivery.attempts >= MAX_ATTEMPTS:
        if status == DeliveryStatus.SCHEDULED:
            _finish(delivery.pk, status=DeliveryStatus.FAILED, error=f"gave up: {error}")
        else:  # never guess: the owner checks the account and decides
            _finish(delivery.pk, status=status, error=f"could not confirm: {error}", due_at=NEVER)
        return
    due = now + timedelta(seconds=max(at_least, backoff_seconds(delivery.attempts)))
    _finish(delivery.pk, status=status, error=error, due_at=due)
    from rapport.publish.tasks import enqueue_delivery

    transaction.on_commit(lambda: enqueue_delivery(delivery.pk, due))


def run_delivery(delivery_id: int, *, now: datetime | None = None) -> str | None:
    """Attempt one delivery if it is due; return its new status (None if not claimed)."""
    now = now or timezone.now()
    post_status = Post.objects.filter(deliveries=delivery_id).values_list("status", flat=True)
    if not post_status or post_status[0] not in (PostStatus.SCHEDULED, PostStatus.PUBLISHED):
        return None  # draft or awaiting approval: not queued yet
    claimed_from = claim(delivery_id, now=now)
    if claimed_from is None:
        return None
    delivery = Delivery.objects.select_related("post", "channel").get(pk=delivery_id)
    if delivery.channel.status != ChannelStatus.ACTIVE:
        _finish(delivery.pk, status=DeliveryStatus.HELD, error=delivery.channel.status_message)
        return DeliveryStatus.HELD
    _attempt(delivery, claimed_from, now)
    return Delivery.objects.values_list("status", flat=True).get(pk=delivery_id)


def _attempt(delivery: Delivery, claimed_from: str, now: datetime) -> None:
    channel = open_channel(delivery.channel)
    post = outbound(delivery)
    try:
        if claimed_from == DeliveryStatus.UNCONFIRMED:
            found = channel.find_published(post)
            if found is not None:
                _sent(delivery, found, now)
                return
            if not getattr(channel, "idempotent_publish", False):
                _finish(
                    delivery.pk,
                    status=DeliveryStatus.UNCONFIRMED,
                    error="the platform's answer was lost and it cannot be looked up; "
                    "check the account, then mark it sent or send it again",
                    due_at=NEVER,
                )
                return
        result = channel.publish(post)
    except RateLimited as exc:
        _retry(delivery, str(exc), now, status=DeliveryStatus.SCHEDULED, at_least=exc.retry_after)
    except ChannelAuthError as exc:
        mark_needs_reconnect(channel_id=delivery.channel_id, message=str(exc))
        _finish(delivery.pk, status=DeliveryStatus.HELD, error=str(exc))
    except PermanentChannelError as exc:
        _finish(delivery.pk, status=DeliveryStatus.FAILED, error=str(exc))
    except Exception as exc:  # TemporaryChannelError or a bug: the request may have arrived
        log.warning("delivery %s unconfirmed: %s", delivery.pk, exc, exc_info=True)
        error = str(exc) if isinstance(exc, TemporaryChannelError) else f"unexpected: {exc!r}"
        _retry(delivery, error, now, status=DeliveryStatus.UNCONFIRMED, at_least=0)
    else:
        _sent(delivery, result, now)
