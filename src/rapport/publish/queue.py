"""Weekly queue slots per channel (like Buffer's), in the workspace's time zone.

A slot is a local weekday + wall-clock time. Each occurrence is turned into an
aware datetime in the workspace zone at the moment it is used, so a 09:00 slot
is 09:00 on both sides of a daylight-saving change (08:00 UTC in winter, 07:00
UTC in summer for Europe/Berlin) and never drifts by an hour.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from rapport.channels.models import Channel
from rapport.errors import ValidationError
from rapport.publish.models import Delivery, DeliveryStatus, QueueSlot

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HORIZON_DAYS = 366


def add_slot(*, channel: Channel, weekday: int | str, at: time | str) -> QueueSlot:
    if isinstance(weekday, str):
        if weekday.lower()[:3] not in DAYS:
            raise ValidationError(f"unknown day {weekday!r}; use mon..sun", field="weekday")
        weekday = DAYS.index(weekday.lower()[:3])
    if not 0 <= weekday <= 6:
        raise ValidationError("weekday must be 0 (Monday) to 6 (Sunday)", field="weekday")
    if isinstance(at, str):
        try:
            at = time.fromisoformat(at)
        except ValueError:
            raise ValidationError(f"{at!r} is not a time like 09:30", field="time") from None
    slot, _ = QueueSlot.objects.get_or_create(
        channel=channel, weekday=weekday, time=at.replace(second=0, microsecond=0, tzinfo=None)
    )
    return slot


def occurrences(channel: Channel, *, after: datetime, days: int) -> Iterator[datetime]:
    """Slot times of ``channel`` after ``after`` for ``days`` days, in order, aware (UTC)."""
    zone = ZoneInfo(channel.workspace.timezone or "UTC")
    slots = list(QueueSlot.objects.filter(channel=channel).order_by("time"))
    local_start = after.astimezone(zone).date()
    for offset in range(days + 1):
        day = local_start + timedelta(days=offset)
        for slot in slots:
            if slot.weekday == day.weekday():
                # Via UTC and back: a wall time skipped by DST moves forward, not back.
                when = datetime.combine(day, slot.time, tzinfo=zone).astimezone(UTC)
                if when > after:
                    yield when


def next_free_slot(channel: Channel, *, after: datetime) -> datetime:
    """The first slot of ``channel`` after ``after`` with no live delivery in it."""
    taken = set(
        Delivery.objects.filter(channel=channel, due_at__gt=after)
        .exclude(status=DeliveryStatus.FAILED)
        .values_list("due_at", flat=True)
    )
    for when in occurrences(channel, after=after, days=HORIZON_DAYS):
        if when not in taken:
            return when
    raise ValidationError(
        f"{channel.name} has no free queue slot; add weekly slots or pick a time",
        field="at",
    )


def share_next(channel: Channel, *, after: datetime) -> datetime:
    """The channel's first slot; what is queued there and after moves down one slot.

    Only ``scheduled`` deliveries move (a conditional UPDATE each); their old huey
    task then finds them not yet due and does nothing.
    """
    from django.db import transaction

    from rapport.publish.tasks import enqueue_delivery

    queued = {
        d.due_at: d
        for d in Delivery.objects.filter(
            channel=channel, due_at__gt=after, status=DeliveryStatus.SCHEDULED
        )
    }
    slots = occurrences(channel, after=after, days=HORIZON_DAYS)
    first = next(slots, None)
    if first is None:
        raise ValidationError(f"{channel.name} has no queue slots; add weekly slots", field="at")
    chain, when = [], first
    while when in queued:
        chain.append(queued[when])
        following = next(slots, None)
        if following is None:
            raise ValidationError(f"{channel.name}'s queue is full", field="at")
        when = following
    targets = [d.due_at for d in chain[1:]] + [when]
    for delivery, target in reversed(list(zip(chain, targets, strict=True))):
        moved = Delivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.SCHEDULED, due_at=delivery.due_at
        ).update(due_at=target)
        if moved:
            transaction.on_commit(partial(enqueue_delivery, delivery.pk, target))
    return first


@dataclass(frozen=True, slots=True)
class SlotView:
    when: datetime
    channel: Channel
    delivery: Delivery | None


def week_ahead(channels: list[Channel], *, now: datetime) -> list[SlotView]:
    """Every slot in the next seven days, with the delivery queued in it (if any)."""
    out: list[SlotView] = []
    for channel in channels:
        booked = {
            d.due_at: d
            for d in Delivery.objects.filter(
                channel=channel, due_at__gt=now, due_at__lte=now + timedelta(days=7)
            ).select_related("post")
        }
        for when in occurrences(channel, after=now, days=7):
            if when <= now + timedelta(days=7):
                out.append(SlotView(when, channel, booked.get(when)))
    return sorted(out, key=lambda s: (s.when, s.channel.name))
