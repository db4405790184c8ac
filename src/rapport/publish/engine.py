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
from functools import cache

import httpx
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from rapport.channels.base import Channel as ChannelPlugin
from rapport.channels.models import ChannelStatus
from rapport.channels.records import OutboundPost, PublishResult
from rapport.channels.services import mark_needs_reconnect, open_channel
from rapport.errors import (
    ChannelAuthError,
    PermanentChannelError,
    RateLimited,
    TemporaryChannelError,
)
from rapport.publish.media import link_card, media_items
from rapport.publish.models import Delivery, DeliveryStatus, Post, PostStatus
from rapport.publish.render import render

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = 30.0
BACKOFF_CAP = 3600.0
EARLY_TOLERANCE = timedelta(seconds=1)
NEVER = datetime(9999, 1, 1, tzinfo=UTC)
CLAIMABLE = (DeliveryStatus.SCHEDULED, DeliveryStatus.UNCONFIRMED)


@cache
def http_client() -> httpx.Client:
    """One connection pool per worker process (building an SSL context costs ~70 ms)."""
    return httpx.Client(timeout=20.0, follow_redirects=False)


def backoff_seconds(attempts: int) -> float:
    """30 s, 60 s, 120 s, ... capped at an hour, with ±10 % jitter against stampedes."""
    base = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return base * random.uniform(0.9, 1.1)


def claim(delivery_id: int, *, now: datetime, status: str | None = None) -> str | None:
    """Take the delivery for this worker; return the status it was claimed from, or None.

    One conditional UPDATE on the delivery row alone (no join), so on SQLite and
    PostgreSQL alike exactly one of any number of concurrent claims succeeds.
    """
    for candidate in (status,) if status else CLAIMABLE:
        claimed = Delivery.objects.filter(
            pk=delivery_id, status=candidate, due_at__lte=now + EARLY_TOLERANCE
        ).update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, updated_at=now)
        if claimed:
            return candidate
    return None


def outbound(delivery: Delivery) -> OutboundPost:
    post = delivery.post
    return OutboundPost(
        delivery_id=delivery.pk,
        idempotency_key=str(delivery.idempotency_key),
        title=post.title,
        text=delivery.body,
        html=delivery.html or render(post.body, link_map=_link_map(post)).html,
        url=post.url,
        parts=tuple(delivery.parts or ()),
        not_before=post.created_at,
        media=tuple(media_items(delivery.media, list(post.images.all()))) if delivery.media else (),
        card=link_card(delivery.card) if delivery.card else None,
    )


def _link_map(post: Post) -> dict[str, str]:
    from rapport.publish.links import tracked_map

    return tracked_map(post)


def _finish(delivery_id: int, **fields: object) -> None:
    """Write the outcome, only if this worker still holds the claim."""
    Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING).update(
        updated_at=timezone.now(), **fields
    )


def _sent(
    delivery: Delivery, result: PublishResult, now: datetime, *, mark_post: bool = True
) -> str:
    _finish(
        delivery.pk,
        status=DeliveryStatus.SENT,
        remote_id=result.remote_id[:300],
        remote_url=result.remote_url[:1000],
        error="",
        sent_at=now,
    )
    if mark_post:
        mark_published([delivery.post_id], now)
    return DeliveryStatus.SENT


def mark_published(post_ids: list[int], now: datetime) -> int:
    """Posts whose deliveries are all sent become published.

    Checked after the deliveries' own writes committed: of two deliveries
    finishing at once, the later check sees both sent, so the post is never left
    unpublished (and the sweep's ``publish_finished`` catches a worker killed
    between the two writes).
    """
    if not post_ids:
        return 0
    unsent = Delivery.objects.filter(post=OuterRef("pk")).exclude(status=DeliveryStatus.SENT)
    return (
        Post.objects.filter(pk__in=post_ids, status=PostStatus.SCHEDULED)
        .filter(~Exists(unsent))
        .update(status=PostStatus.PUBLISHED, published_at=now)
    )


def _retry(delivery: Delivery, error: str, now: datetime, *, status: str, at_least: float) -> str:
    if delivery.attempts >= MAX_ATTEMPTS:
        if status == DeliveryStatus.SCHEDULED:
            _finish(delivery.pk, status=DeliveryStatus.FAILED, error=f"gave up: {error}")
            return DeliveryStatus.FAILED
        # never guess: the owner checks the account and decides
        _finish(delivery.pk, status=status, error=f"could not confirm: {error}", due_at=NEVER)
        return status
    due = now + timedelta(seconds=max(at_least, backoff_seconds(delivery.attempts)))
    _finish(delivery.pk, status=status, error=error, due_at=due)
    from rapport.publish.tasks import enqueue_delivery

    transaction.on_commit(lambda: enqueue_delivery(delivery.pk, due))
    return status


def run_delivery(delivery_id: int, *, now: datetime | None = None) -> str | None:
    """Attempt one delivery if it is due; return its new status (None if not claimed)."""
    now = now or timezone.now()
    delivery = Delivery.objects.select_related("post", "channel").filter(pk=delivery_id).first()
    if (
        delivery is None
        or delivery.status not in CLAIMABLE
        or delivery.due_at > now + EARLY_TOLERANCE
    ):
        return None
    if delivery.post.status not in (PostStatus.SCHEDULED, PostStatus.PUBLISHED):
        return None  # draft or awaiting approval: not queued yet
    claimed_from = claim(delivery_id, now=now, status=delivery.status)
    if claimed_from is None:
        return None  # another worker has it
    delivery.attempts += 1
    if delivery.channel.status != ChannelStatus.ACTIVE:
        _finish(delivery.pk, status=DeliveryStatus.HELD, error=delivery.channel.status_message)
        return DeliveryStatus.HELD
    return _attempt(delivery, claimed_from, now)


def _attempt(
    delivery: Delivery,
    claimed_from: str,
    now: datetime,
    *,
    channel: ChannelPlugin | None = None,
    mark_post: bool = True,
) -> str:
    """Send one claimed delivery and record the outcome (``channel``: an opened plugin)."""
    channel = channel or open_channel(delivery.channel, http=http_client())
    post = outbound(delivery)
    try:
        if claimed_from == DeliveryStatus.UNCONFIRMED:
            found = channel.find_published(post)
            if found is not None:
                return _sent(delivery, found, now, mark_post=mark_post)
            if not getattr(channel, "idempotent_publish", False):
                _finish(
                    delivery.pk,
                    status=DeliveryStatus.UNCONFIRMED,
                    error="the platform's answer was lost and it cannot be looked up; "
                    "check the account, then mark it sent or send it again",
                    due_at=NEVER,
                )
                return DeliveryStatus.UNCONFIRMED
        result = channel.publish(post)
    except RateLimited as exc:
        return _retry(
            delivery, str(exc), now, status=DeliveryStatus.SCHEDULED, at_least=exc.retry_after
        )
    except ChannelAuthError as exc:
        mark_needs_reconnect(channel_id=delivery.channel_id, message=str(exc))
        _finish(delivery.pk, status=DeliveryStatus.HELD, error=str(exc))
        return DeliveryStatus.HELD
    except PermanentChannelError as exc:
        _finish(delivery.pk, status=DeliveryStatus.FAILED, error=str(exc))
        return DeliveryStatus.FAILED
    except Exception as exc:  # TemporaryChannelError or a bug: the request may have arrived
        log.warning("delivery %s unconfirmed: %s", delivery.pk, exc, exc_info=True)
        error = str(exc) if isinstance(exc, TemporaryChannelError) else f"unexpected: {exc!r}"
        return _retry(delivery, error, now, status=DeliveryStatus.UNCONFIRMED, at_least=0)
    return _sent(delivery, result, now, mark_post=mark_post)
