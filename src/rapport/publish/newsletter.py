"""The newsletter's list: subscribers, unsubscribe tokens, and who already got a delivery.

The ``newsletter`` channel (``channels/builtin/newsletter.py``) asks for the
recipients still pending for a delivery and records each one right after the
SMTP server accepted the message, so a retry or a reconciliation after a
crash sends only to those who did not get it yet.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from rapport.channels.models import Channel
from rapport.errors import NotFound, ValidationError
from rapport.publish.models import NewsletterSend, Subscriber


@dataclass(frozen=True, slots=True)
class Recipient:
    subscriber_id: int
    email: str
    unsubscribe_url: str


def unsubscribe_url(token: str) -> str:
    return f"{settings.BASE_URL}/u/{token}"


def subscribe(*, channel: Channel, email: str) -> Subscriber:
    email = email.strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationError(f"{email!r} is not a valid e-mail address", field="email") from None
    if channel.kind != "newsletter":
        raise ValidationError(f"{channel.name} is not a newsletter", field="channel")
    subscriber, created = Subscriber.objects.get_or_create(
        channel=channel, email=email, defaults={"token": secrets.token_urlsafe(32)}
    )
    if not created and subscriber.unsubscribed_at:
        subscriber.unsubscribed_at = None
        subscriber.save(update_fields=["unsubscribed_at"])
    return subscriber


def unsubscribe(*, token: str) -> Subscriber:
    subscriber = Subscriber.objects.select_related("channel").filter(token=token).first()
    if subscriber is None:
        raise NotFound("this unsubscribe link is not valid")
    if subscriber.unsubscribed_at is None:
        subscriber.unsubscribed_at = timezone.now()
        subscriber.save(update_fields=["unsubscribed_at"])
    return subscriber


def pending_recipients(*, channel_id: int, delivery_id: int) -> list[Recipient]:
    """Active subscribers who have not been sent this delivery yet."""
    done = NewsletterSend.objects.filter(delivery_id=delivery_id).values("subscriber_id")
    return [
        Recipient(s.pk, s.email, unsubscribe_url(s.token))
        for s in Subscriber.objects.filter(channel_id=channel_id, unsubscribed_at=None)
        .exclude(pk__in=done)
        .order_by("pk")
    ]


def mark_sent(*, delivery_id: int, subscriber_id: int) -> None:
    with contextlib.suppress(IntegrityError), transaction.atomic():  # savepoint on PostgreSQL
        NewsletterSend.objects.create(delivery_id=delivery_id, subscriber_id=subscriber_id)
