"""Reads for publishing: the post list, failures, a post, feed entries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery, Sum

from rapport.accounts.models import Workspace
from rapport.channels.models import Channel
from rapport.channels.registry import channel_classes
from rapport.errors import NotFound, ValidationError
from rapport.publish import media
from rapport.publish.cards import first_link
from rapport.publish.media import ImageUpload
from rapport.publish.models import Conversion, Delivery, DeliveryStatus, Link, Post, PostStatus
from rapport.publish.render import length, render
from rapport.publish.variants import variant_for

COMPOSED = (
    PostStatus.DRAFT,
    PostStatus.AWAITING_APPROVAL,
    PostStatus.SCHEDULED,
    PostStatus.PUBLISHED,
)


def _composed(workspace: Workspace) -> QuerySet[Post]:
    deliveries = Delivery.objects.select_related("channel").order_by("channel__name")
    return Post.objects.filter(workspace=workspace, status__in=COMPOSED).prefetch_related(
        Prefetch("deliveries", queryset=deliveries), "images"
    )


def posts_for(workspace: Workspace, *, limit: int = 50) -> QuerySet[Post]:
    """Composed posts, newest time first, each with its deliveries and their channels."""
    return _composed(workspace).order_by("-scheduled_at", "-pk")[:limit]


def get_post(workspace: Workspace, post_id: int) -> Post:
    post = _composed(workspace).filter(pk=post_id).first()
    if post is None:
        raise NotFound(f"no post {post_id} in {workspace.slug!r}")
    return post


def failed_deliveries(workspace: Workspace) -> QuerySet[Delivery]:
    """What needs the owner: failed, held and unconfirmed deliveries."""
    return (
        Delivery.objects.filter(
            post__workspace=workspace,
            status__in=(DeliveryStatus.FAILED, DeliveryStatus.HELD, DeliveryStatus.UNCONFIRMED),
        )
        .select_related("post", "channel")
        .order_by("-updated_at")
    )


def publishable_channels(workspace: Workspace) -> list[Channel]:
    kinds = {kind for kind, cls in channel_classes().items() if cls.can_publish}
    return list(Channel.objects.filter(workspace=workspace, kind__in=kinds).order_by("name"))


def feed_deliveries(workspace: Workspace, *, limit: int = 50) -> QuerySet[Delivery]:
    """Sent deliveries of the workspace's feed channels: the Atom feed's entries."""
    return (
        Delivery.objects.filter(
            post__workspace=workspace, channel__kind="feed", status=DeliveryStatus.SENT
        )
        .select_related("post")
        .order_by("-sent_at", "-pk")[:limit]
    )


def link_clicks(post: Post) -> list[Mapping[str, object]]:
    """Per tracked link of ``post``: its URL, code and total clicks."""
    return list(
        Link.objects.filter(post=post)
        .annotate(
            total=Sum("clicks__count"),
            conversions=Subquery(
                Conversion.objects.filter(link=OuterRef("pk"))
                .values("link")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
        )
        .order_by("pk")
        .values("url", "code", "total", "conversions")
    )


@dataclass(frozen=True, slots=True)
class VariantPreview:
    channel: Channel
    text: str
    html: str
    length: int
    limit: int | None
    parts: list[str]
    error: str
    images: list[tuple[str, str]] = field(default_factory=list)  # (name, alt) on this channel
    warnings: list[str] = field(default_factory=list)
    card_link: str = ""  # the link whose card is read when the post is scheduled
    media_error: str = ""

    @property
    def fits(self) -> bool:
        return not self.error and not self.media_error


def preview(
    workspace: Workspace,
    *,
    body: str,
    channel_ids: list[int],
    variants: dict[int, str],
    images: list[ImageUpload] | None = None,
    alt_variants: dict[int, dict[int, str]] | None = None,
) -> list[VariantPreview]:
    """Exactly what each picked channel would get (tracked links are swapped at compose).

    Media limits are checked here too, so a too-large image shows up while writing.
    """
    rendered = render(body)
    images = images or []
    channels = Channel.objects.filter(workspace=workspace, pk__in=channel_ids).order_by("name")
    out = []
    for channel in channels:
        text = variants.get(channel.pk) or rendered.text
        cls = channel_classes().get(channel.kind)
        limit = cls.max_length if cls else None
        override = (alt_variants or {}).get(channel.pk, {})
        alts = [(override.get(i) or "").strip() or im.alt for i, im in enumerate(images)]
        try:
            parts, error = variant_for(channel, text)[1], ""
        except ValidationError as exc:
            parts, error = [], str(exc)
        media_error = ""
        if images:
            try:
                media.check_for_channel(channel, images, alts, media.limits_for(channel))
            except ValidationError as exc:
                media_error = str(exc)
        out.append(
            VariantPreview(
                channel,
                text,
                rendered.html,
                length(text),
                limit,
                parts,
                error,
                images=[(im.name, alt) for im, alt in zip(images, alts, strict=True)],
                warnings=media.warnings_for(images, alts, channel),
                media_error=media_error,
                card_link=""
                if images or not getattr(cls, "link_cards", False)
                else first_link(text),
            )
        )
    return out
