"""Writes for publishing: compose, approve, cancel. Views, API and CLI all call these.

A composed post gets one delivery per channel, each carrying the variant that
channel will receive (checked against its length and media limits here, at
compose time, never at delivery time): text, HTML, images with that channel's
alt text, a link card, and its ``due_at``. Deliveries are queued only after
the transaction commits, so a worker never looks for a row that is not there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from django.db import transaction
from django.utils import timezone

from rapport.accounts.models import User, Workspace
from rapport.channels.models import Channel, ChannelStatus
from rapport.channels.registry import channel_class
from rapport.errors import ValidationError
from rapport.publish import media
from rapport.publish.cards import fetch_card, first_link
from rapport.publish.links import create_links
from rapport.publish.media import ImageUpload
from rapport.publish.models import Delivery, DeliveryStatus, Post, PostStatus
from rapport.publish.queue import next_free_slot, share_next
from rapport.publish.render import links_in, render
from rapport.publish.variants import variant_for

PAST_GRACE = timedelta(seconds=60)
When = datetime | Literal["now", "queue", "next"] | None


def resolve_time(at: When, *, now: datetime) -> datetime:
    """``"now"``/None → now; a naive time is refused; a past time is refused."""
    if at is None or at in ("now", "queue", "next"):
        return now
    assert isinstance(at, datetime)
    if timezone.is_naive(at):
        raise ValidationError("the time needs a time zone (or use 'now')", field="at")
    if at < now - PAST_GRACE:
        raise ValidationError(
            f"{at:%Y-%m-%d %H:%M %Z} is in the past; pick a later time or 'now'", field="at"
        )
    return max(at, now)


def _channels(workspace: Workspace, channel_ids: list[int]) -> list[Channel]:
    if not channel_ids:
        raise ValidationError("pick at least one channel", field="channels")
    found = {c.pk: c for c in Channel.objects.filter(workspace=workspace, pk__in=channel_ids)}
    missing = [str(pk) for pk in channel_ids if pk not in found]
    if missing:
        raise ValidationError(f"no such channel: {', '.join(missing)}", field="channels")
    channels = [found[pk] for pk in dict.fromkeys(channel_ids)]
    for channel in channels:
        cls = channel_class(channel.kind)
        if not cls.can_publish:
            raise ValidationError(f"{channel.name} cannot publish", field="channels")
        if channel.status != ChannelStatus.ACTIVE:
            raise ValidationError(
                f"{channel.name} needs reconnecting first: {channel.status_message}",
                field="channels",
            )
        if cls.needs_credentials and not channel.secrets_encrypted:
            raise ValidationError(f"{channel.name} has no credentials", field="channels")
        try:  # e.g. a webhook URL that now resolves to a private address
            cls.validate_config(channel.config, channel.get_secrets())
        except ValidationError as exc:
            raise ValidationError(f"{channel.name}: {exc}", field="channels") from None
    return channels


@dataclass(frozen=True, slots=True)
class _Prepared:
    """What compose checked and read before its transaction: alt texts and link cards."""

    alts: dict[int, list[str]]
    cards: dict[int, dict[str, Any]]


def compose_post(
    *,
    workspace: Workspace,
    author: User | None,
    title: str,
    body: str,
    channel_ids: list[int],
    at: When = "now",
    variants: dict[int, str] | None = None,
    track_links: bool = False,
    await_approval: bool = False,
    images: list[ImageUpload] | None = None,
    alt_variants: dict[int, dict[int, str]] | None = None,
    now: datetime | None = None,
) -> Post:
    """Check everything, then write the post, its images and one delivery per channel.

    ``images`` were checked as images already (:func:`media.check_image`); here
    they are checked against each channel's limits. ``alt_variants`` is channel
    id → {image index → alt text} for the channels where it differs. Network
    reads (an instance's media limits, link cards) happen before the
    transaction, so no database lock is held while a remote server answers.
    """
    now = now or timezone.now()
    if not body.strip():
        raise ValidationError("the post is empty", field="body")
    due_at = resolve_time(at, now=now)
    channels = _channels(workspace, channel_ids)
    prepared = _prepare(channels, body, variants or {}, images or [], alt_variants or {})
    return _compose(
        workspace=workspace,
        author=author,
        title=title,
        body=body,
        channels=channels,
        at=at,
        due_at=due_at,
        variants=variants or {},
        track_links=track_links,
        await_approval=await_approval,
        images=images or [],
        prepared=prepared,
        now=now,
    )


def _prepare(
    channels: list[Channel],
    body: str,
    variants: dict[int, str],
    images: list[ImageUpload],
    alt_variants: dict[int, dict[int, str]],
) -> _Prepared:
    if len(images) > media.MAX_IMAGES:
        raise ValidationError(
            f"a post can carry at most {media.MAX_IMAGES} images; this one has {len(images)}",
            field="images",
        )
    alts: dict[int, list[str]] = {}
    cards: dict[int, dict[str, Any]] = {}
    text = render(body).text
    for channel in channels:
        override = alt_variants.get(channel.pk, {})
        alts[channel.pk] = [
            (override.get(i) or "").strip() or image.alt for i, image in enumerate(images)
        ]
        if images:
            media.check_for_channel(channel, images, alts[channel.pk], media.limits_for(channel))
        if not images and getattr(channel_class(channel.kind), "link_cards", False):
            link = first_link(variants.get(channel.pk) or text)
            if link:
                card, thumb = fetch_card(link)
                cards[channel.pk] = media.store_thumb(card, thumb)
    return _Prepared(alts=alts, cards=cards)


@transaction.atomic
def _compose(
    *,
    workspace: Workspace,
    author: User | None,
    title: str,
    body: str,
    channels: list[Channel],
    at: When,
    due_at: datetime,
    variants: dict[int, str],
    track_links: bool,
    await_approval: bool,
    images: list[ImageUpload],
    prepared: _Prepared,
    now: datetime,
) -> Post:
    status = PostStatus.AWAITING_APPROVAL if await_approval else PostStatus.SCHEDULED
    post = Post.objects.create(
        workspace=workspace,
        author=author,
        title=title.strip()[:500],
        body=body,
        status=status,
        scheduled_at=due_at,
    )
    link_map = {}
    if track_links:
        from rapport.publish.links import short_url

        link_map = {
            ln.url: short_url(ln.code) for ln in create_links(post=post, urls=links_in(body))
        }
    rendered = render(body, link_map=link_map)
    Post.objects.filter(pk=post.pk).update(text=rendered.text)
    fitted = {c.pk: variant_for(c, variants.get(c.pk) or rendered.text) for c in channels}
    stored = media.store_images(post, images)  # last: nothing below refuses the post
    deliveries = []
    for channel in channels:
        text, parts = fitted[channel.pk]
        alts = prepared.alts.get(channel.pk, [])
        card = dict(prepared.cards.get(channel.pk) or {})
        if card:
            card["uri"] = link_map.get(card["uri"], card["uri"])
        deliveries.append(
            Delivery.objects.create(
                post=post,
                channel=channel,
                body=text,
                parts=parts,
                html=rendered.html + media.images_html(stored, alts),
                media=[{"image": i.pk, "alt": alt} for i, alt in zip(stored, alts, strict=True)],
                card=card,
                due_at=_due(channel, at, due_at, now),
            )
        )
    if at in ("queue", "next"):
        first = min(d.due_at for d in deliveries)
        Post.objects.filter(pk=post.pk).update(scheduled_at=first)
    if status == PostStatus.SCHEDULED:
        _queue_on_commit(deliveries)
    post.refresh_from_db()
    return post


def _due(channel: Channel, at: When, due_at: datetime, now: datetime) -> datetime:
    if at == "queue":
        return next_free_slot(channel, after=now)
    if at == "next":
        return share_next(channel, after=now)
    return due_at


def _queue_on_commit(deliveries: list[Delivery]) -> None:
    from rapport.publish.tasks import enqueue_delivery

    for delivery in deliveries:
        transaction.on_commit(
            lambda d=delivery: enqueue_delivery(d.pk, d.due_at)  # type: ignore[misc]
        )


@transaction.atomic
def approve_post(*, post: Post, now: datetime | None = None) -> Post:
    """An owner lets an editor's post into the queue (a past time becomes 'now')."""
    now = now or timezone.now()
    if post.status != PostStatus.AWAITING_APPROVAL:
        raise ValidationError(
            f"this post is {post.get_status_display().lower()}, not awaiting approval"
        )
    due = max(post.scheduled_at or now, now)
    Post.objects.filter(pk=post.pk).update(status=PostStatus.SCHEDULED, scheduled_at=due)
    post.deliveries.filter(status=DeliveryStatus.SCHEDULED, due_at__lt=now).update(due_at=now)
    _queue_on_commit(list(post.deliveries.filter(status=DeliveryStatus.SCHEDULED)))
    post.refresh_from_db()
    return post


@transaction.atomic
def retry_delivery(*, delivery: Delivery, now: datetime | None = None) -> Delivery:
    """Send a failed delivery again (the owner fixed the cause), with the same key."""
    now = now or timezone.now()
    if delivery.status != DeliveryStatus.FAILED:
        raise ValidationError("only a failed delivery can be sent again")
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.SCHEDULED, due_at=now, attempts=0, error=""
    )
    delivery.refresh_from_db()
    _queue_on_commit([delivery])
    return delivery


@transaction.atomic
def resolve_unconfirmed(
    *, delivery: Delivery, published: bool, now: datetime | None = None
) -> Delivery:
    """The owner checked the account: mark an unconfirmed delivery sent, or send it again."""
    now = now or timezone.now()
    pending = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.UNCONFIRMED)
    if published:
        changed = pending.update(
            status=DeliveryStatus.SENT, error="", sent_at=now, remote_id="confirmed by the owner"
        )
        if changed and not delivery.post.deliveries.exclude(status=DeliveryStatus.SENT).exists():
            Post.objects.filter(pk=delivery.post_id).update(
                status=PostStatus.PUBLISHED, published_at=now
            )
    else:
        changed = pending.update(status=DeliveryStatus.SCHEDULED, due_at=now, error="")
    if not changed:
        raise ValidationError("this delivery is no longer unconfirmed")
    delivery.refresh_from_db()
    if not published:
        _queue_on_commit([delivery])
    return delivery
