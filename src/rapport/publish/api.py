"""Posts in the JSON API (mounted at ``/api/w/{slug}/posts``).

Create/schedule needs the editor role, reading the viewer role; errors from
the services are mapped to HTTP in ``rapport.api``.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema, Status

from rapport.accounts.api import workspace_from_api
from rapport.accounts.models import Role
from rapport.errors import ValidationError
from rapport.publish import selectors, services
from rapport.publish.media import check_image, public_url
from rapport.publish.models import Delivery, Post, PostImage

router = Router(tags=["posts"])
PathStr = Annotated[str, Path(description="workspace slug")]


class ImageIn(Schema):
    filename: str = Field(..., max_length=200, examples=["rye.jpg"])
    data: str = Field(
        ...,
        description="the image file, base64; JPEG, PNG, GIF or WebP, judged by its bytes. "
        "The whole request is limited to 5 MB, so larger images go through the web "
        "composer or `rapport posts create --image`",
    )
    alt: str = Field("", description="alt text: what the image shows")
    alt_per_channel: dict[int, str] = Field(
        default_factory=dict, description="channel id → alt text, where it differs"
    )


class PostIn(Schema):
    title: str = ""
    body: str = Field(..., description="Markdown")
    channels: list[int] = Field(..., description="channel ids")
    at: datetime | Literal["now", "queue", "next"] = Field(
        "now",
        description="ISO 8601 with offset, 'now', 'queue' (each channel's next free slot) "
        "or 'next' (each channel's first slot; the queue moves down)",
    )
    variants: dict[int, str] = Field(default_factory=dict, description="channel id → text")
    track_links: bool = False
    await_approval: bool = False
    images: list[ImageIn] = Field(
        default_factory=list, description="images in order, each checked against every channel"
    )


class DeliveryOut(Schema):
    id: int
    channel_id: int
    channel: str
    status: str
    media: list[dict[str, Any]] = Field(description='this channel\'s images: {"image": id, "alt"}')
    card: dict[str, Any] = Field(description="the link card read at compose, if any")
    due_at: datetime
    attempts: int
    remote_id: str
    remote_url: str
    error: str
    sent_at: datetime | None

    @staticmethod
    def resolve_channel(obj: Delivery) -> str:
        return obj.channel.name

    @staticmethod
    def resolve_card(obj: Delivery) -> dict[str, Any]:
        card = {k: v for k, v in (obj.card or {}).items() if not k.startswith("thumb")}
        return card | {"has_picture": bool(obj.card.get("thumb"))} if card else {}


class ImageOut(Schema):
    id: int
    name: str
    url: str
    alt: str
    content_type: str
    width: int
    height: int
    size: int

    @staticmethod
    def resolve_url(obj: PostImage) -> str:
        return public_url(obj)


class PostOut(Schema):
    id: int
    title: str
    body: str
    text: str
    status: str
    scheduled_at: datetime | None
    published_at: datetime | None
    images: list[ImageOut]
    deliveries: list[DeliveryOut]

    @staticmethod
    def resolve_images(obj: Post) -> list[PostImage]:
        return list(obj.images.all())

    @staticmethod
    def resolve_deliveries(obj: Post) -> list[Delivery]:
        return list(obj.deliveries.all())


@router.post("/", response={201: PostOut}, summary="Compose and schedule a post")
def create_post(request: HttpRequest, slug: PathStr, payload: PostIn) -> Status:
    workspace = workspace_from_api(request, slug, Role.EDITOR)
    images = []
    alt_variants: dict[int, dict[int, str]] = {}
    for index, image in enumerate(payload.images):
        try:
            data = base64.b64decode(image.data, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(
                f"image {image.filename!r}: data is not base64", field="images"
            ) from None
        images.append(check_image(image.filename, data, alt=image.alt))
        for channel_id, alt in image.alt_per_channel.items():
            alt_variants.setdefault(channel_id, {})[index] = alt
    post = services.compose_post(
        workspace=workspace,
        author=request.auth,  # type: ignore[attr-defined]
        title=payload.title,
        body=payload.body,
        channel_ids=payload.channels,
        at=payload.at,
        variants=payload.variants,
        track_links=payload.track_links,
        await_approval=payload.await_approval,
        images=images,
        alt_variants=alt_variants,
    )
    return Status(201, selectors.get_post(workspace, post.pk))


@router.get("/", response=list[PostOut], summary="Posts with their deliveries")
def list_posts(request: HttpRequest, slug: PathStr, limit: int = 50) -> list[Post]:
    workspace = workspace_from_api(request, slug, Role.VIEWER)
    return list(selectors.posts_for(workspace, limit=max(1, min(limit, 200))))


@router.get("/{post_id}", response=PostOut, summary="One post with its deliveries")
def get_post(request: HttpRequest, slug: PathStr, post_id: int) -> Post:
    workspace = workspace_from_api(request, slug, Role.VIEWER)
    return selectors.get_post(workspace, post_id)


@router.post("/{post_id}/approve", response=PostOut, summary="Approve an editor's post (owner)")
def approve_post(request: HttpRequest, slug: PathStr, post_id: int) -> Post:
    workspace = workspace_from_api(request, slug, Role.OWNER)
    services.approve_post(post=selectors.get_post(workspace, post_id))
    return selectors.get_post(workspace, post_id)
