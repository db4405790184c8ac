"""Plain records that cross the plugin boundary.

Channels and importers produce these; ``rapport.inbox.ingest`` is the one place
that turns them into rows. Plugins never touch models, so a new platform is one
file that maps its payloads to these records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

ItemKindName = Literal["comment", "reply", "mention", "quote", "message"]
SignalKindName = Literal["like", "boost", "follow"]


@dataclass(frozen=True, slots=True)
class AuthorRecord:
    """Who wrote something. ``key`` is the platform's stable id (DID, account id, e-mail)."""

    platform: str
    key: str
    display_name: str = ""
    email: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class PostRecord:
    """A piece of the workspace's own content (a blog article, an own toot)."""

    source_id: str
    title: str = ""
    html: str = ""
    url: str = ""
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """Something a person wrote: a comment, reply, mention, quote or message.

    ``html`` is untrusted: ingest sanitises it. ``parent_source_id`` names the
    item it answers (in the same source), ``post_source_id`` the own post.
    """

    source_id: str
    created_at: datetime
    author: AuthorRecord | None
    html: str = ""
    text: str = ""
    kind: ItemKindName = "comment"
    parent_source_id: str = ""
    post_source_id: str = ""
    url: str = ""
    is_own: bool = False
    signals: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SignalRecord:
    """A like, boost or follow: counted, never shown as a message."""

    source_id: str
    kind: SignalKindName
    created_at: datetime
    author: AuthorRecord | None = None
    post_source_id: str = ""


@dataclass(frozen=True, slots=True)
class SkippedRecord:
    """Something the source held that could not be used, with the reason."""

    source_id: str
    reason: str


Record = PostRecord | ItemRecord | SignalRecord | SkippedRecord


@dataclass(frozen=True, slots=True)
class FetchResult:
    records: list[Record]
    cursor: str


@dataclass(frozen=True, slots=True)
class MediaLimits:
    """What a channel accepts per post, checked at compose time (not at delivery time).

    ``max_alt`` is counted in characters; None means no limit worth checking.
    """

    max_images: int
    max_bytes: int
    max_alt: int | None = None
    max_pixels: int | None = None
    types: tuple[str, ...] = ("image/jpeg", "image/png", "image/gif", "image/webp")


@dataclass(frozen=True, slots=True)
class MediaItem:
    """One image of an outbound post, with this channel's alt text.

    ``read()`` returns the bytes (loaded only by channels that upload them);
    ``url`` is the image's public address on the desk, for HTML channels.
    """

    name: str
    content_type: str
    size: int
    width: int
    height: int
    alt: str
    url: str
    read: Callable[[], bytes] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class LinkCard:
    """A preview of the post's link (Bluesky's ``app.bsky.embed.external``), read at compose."""

    uri: str
    title: str
    description: str = ""
    thumb: MediaItem | None = None  # the page's og:image, fetched (guarded) at compose


@dataclass(frozen=True, slots=True)
class OutboundPost:
    """What a channel is asked to publish: one delivery's variant of a post.

    ``parts`` is set when ``text`` is longer than the channel's ``max_length`` and
    the channel declares ``can_thread``: the text split into a numbered thread.
    ``not_before`` is when the post was composed: nothing published earlier can be
    this delivery, which bounds a ``find_published`` look-up. ``media`` are the
    post's images with this channel's alt text (attached to the first part of a
    thread); ``card`` is a link preview for channels that show one.
    """

    delivery_id: int
    idempotency_key: str
    title: str
    text: str
    html: str
    url: str = ""
    parts: tuple[str, ...] = ()
    not_before: datetime | None = None
    media: tuple[MediaItem, ...] = ()
    card: LinkCard | None = None


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    """The item a reply answers, as the platform knows it."""

    source_id: str
    url: str = ""
    author_key: str = ""
    post_source_id: str = ""


@dataclass(frozen=True, slots=True)
class PublishResult:
    remote_id: str
    remote_url: str = ""
