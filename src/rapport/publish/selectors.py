"""Reads for publishing: the post list, failures, a post, feed entries."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet, Sum

from rapport.accounts.models import Workspace
from rapport.channels.models import Channel
from rapport.channels.registry import channel_classes
from rapport.errors import NotFound
from rapport.publish.models import Delivery, DeliveryStatus, Link, Post, PostStatus

COMPOSED = (
    PostStatus.DRAFT,
    PostStatus.AWAITING_APPROVAL,
    PostStatus.SCHEDULED,
    PostStatus.PUBLISHED,
)


def posts_for(workspace: Workspace, *, limit: int = 50) -> QuerySet[Post]:
    """Composed posts, newest time first, each with its deliveries and their channels."""
    deliveries = Delivery.objects.select_related("channel").order_by("channel__name")
    return (
        Post.objects.filter(workspace=workspace, status__in=COMPOSED)
        .prefetch_related(Prefetch("deliveries", queryset=deliveries))
        .order_by("-scheduled_at", "-pk")[:limit]
    )


def get_post(workspace: Workspace, post_id: int) -> Post:
    post = posts_for(workspace, limit=1_000_000).filter(pk=post_id).first()
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


def link_clicks(post: Post) -> list[dict[str, object]]:
    """Per tracked link of ``post``: its URL, code and total clicks."""
    return list(
        Link.objects.filter(post=post)
        .annotate(clicks=Sum("clicks__count"), days=Count("clicks__day", distinct=True))
        .values("url", "code", "clicks")
    )
