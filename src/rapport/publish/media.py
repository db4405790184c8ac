"""Images of a post: checked when they are uploaded, stored, served, and fitted per channel.

Every check runs at compose time, so the owner hears "too large for Bluesky"
while writing, not hours later from a failed delivery:

* **a real image** — the bytes are opened with Pillow (the name and the
  browser's content type are ignored): JPEG, PNG, GIF or WebP only, and the
  whole file must decode (a truncated or disguised file is refused);
* **not a decompression bomb** — the pixel count is read from the header
  before anything is decoded and refused above ``MAX_PIXELS``;
* **no location** — EXIF GPS data (where a photo was taken) is removed;
* **per channel** — each channel's ``media_limits`` (a
  :class:`~rapport.channels.records.MediaLimits`): how many images, bytes per
  image, pixels, alt text length. Errors name the image, the channel and the
  limit. A missing alt text is only a warning (:func:`warnings_for`).

Files go to Django's default storage (``MEDIA_ROOT`` = ``<data dir>/media``);
in the scale mode that directory must be shared by the web and worker
processes (or ``STORAGES["default"]`` pointed at a shared backend).
"""

from __future__ import annotations

import hashlib
import io
import secrets
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.html import escape
from PIL import Image, UnidentifiedImageError

from rapport.channels.models import Channel
from rapport.channels.records import LinkCard, MediaItem, MediaLimits
from rapport.channels.registry import channel_class
from rapport.errors import ValidationError
from rapport.publish.models import Delivery, Post, PostImage

MAX_IMAGES = 10  # more than any built-in channel takes (the newsletter: 10)
MAX_UPLOAD_BYTES = 16 * 1024 * 1024  # Mastodon's default, the largest of the built-ins
MAX_PIXELS = 40_000_000  # above Mastodon's 33,177,600 matrix limit; a bomb is far beyond
GPS_IFD, ORIENTATION = 0x8825, 0x0112  # EXIF tags
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


@dataclass(frozen=True, slots=True)
class ImageUpload:
    """An image the owner added, already checked: its bytes and what Pillow read from them."""

    name: str
    data: bytes
    content_type: str
    width: int
    height: int
    alt: str = ""

    @property
    def size(self) -> int:
        return len(self.data)


def check_image(name: str, data: bytes, *, alt: str = "") -> ImageUpload:
    """Return the checked image, or raise a ValidationError saying what is wrong with it."""
    label = _label(name)
    if not data:
        raise ValidationError(f"{label} is empty", field="images")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            f"{label} is {_mb(len(data))}; images may be at most {_mb(MAX_UPLOAD_BYTES)}",
            field="images",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format or "", image.size
                if width * height > MAX_PIXELS:
                    raise ValidationError(
                        f"{label} is {width}x{height} pixels ({width * height:,}); "
                        f"at most {MAX_PIXELS:,} pixels are accepted",
                        field="images",
                    )
                if kind not in FORMATS:
                    raise ValidationError(
                        f"{label} is a {kind or 'unknown'} image; use JPEG, PNG, GIF or WebP",
                        field="images",
                    )
                image.verify()  # checks the whole file's structure without decoding pixels
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # decodes: a truncated or corrupt file fails here
                data = _without_location(image, kind, data)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            f"{label} has too many pixels (a decompression bomb?); "
            f"at most {MAX_PIXELS:,} pixels are accepted",
            field="images",
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            f"{label} is not an image Rapport can read (JPEG, PNG, GIF or WebP); "
            "the file's content, not its name, decides",
            field="images",
        ) from None
    return ImageUpload(name[:200], data, FORMATS[kind], width, height, alt.strip())


def _without_location(image: Image.Image, kind: str, data: bytes) -> bytes:
    """The image without the place it was taken (EXIF GPS), which a phone photo often carries.

    Posts are public (and ``/m/`` serves the stored file as it is), so a photo
    taken at home must not tell where home is. Only images that carry a
    location are re-encoded, JPEG with its own quantisation tables so nothing
    visible changes; the orientation tag is kept so the photo stays upright.
    """
    exif = image.getexif()
    if GPS_IFD not in exif or kind == "GIF":
        return data
    kept = Image.Exif()
    if ORIENTATION in exif:
        kept[ORIENTATION] = exif[ORIENTATION]
    options: dict[str, Any] = {"exif": kept.tobytes()}
    if image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]
    if kind == "JPEG":
        options |= {"quality": "keep", "subsampling": "keep"}
    elif kind == "WEBP":
        options |= {"quality": 90}
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def limits_for(channel: Channel) -> MediaLimits | None:
    """The channel's media limits (the instance's own where it reports them), or None."""
    cls = channel_class(channel.kind)
    limits: MediaLimits | None = getattr(cls, "media_limits", None)
    reader = getattr(cls, "read_media_limits", None)
    if reader is not None and limits is not None:
        limits = reader(channel.config, channel.get_secrets(), limits)
    return limits


def check_for_channel(
    channel: Channel, images: list[ImageUpload], alts: list[str], limits: MediaLimits | None
) -> None:
    """Raise a ValidationError naming the image, the channel and the limit it breaks."""
    if not images or limits is None:
        return
    field = f"variant_{channel.pk}"
    if len(images) > limits.max_images:
        raise ValidationError(
            f"{channel.name} takes at most {limits.max_images} images per post; "
            f"this post has {len(images)}",
            field=field,
        )
    for image, alt in zip(images, alts, strict=True):
        label = _label(image.name)
        if image.content_type not in limits.types:
            raise ValidationError(
                f"{label}: {channel.name} does not take {image.content_type} images", field=field
            )
        if image.size > limits.max_bytes:
            raise ValidationError(
                f"{label} is too large for {channel.name}: {image.size:,} bytes, "
                f"at most {limits.max_bytes:,} bytes ({_mb(limits.max_bytes)})",
                field=field,
            )
        if limits.max_pixels and image.width * image.height > limits.max_pixels:
            raise ValidationError(
                f"{label} is too large for {channel.name}: {image.width}x{image.height} "
                f"pixels, at most {limits.max_pixels:,} pixels",
                field=field,
            )
        if limits.max_alt is not None and len(alt) > limits.max_alt:
            raise ValidationError(
                f"the alt text of {label} is too long for {channel.name}: "
                f"{len(alt):,} of {limits.max_alt:,} characters",
                field=field,
            )


def warnings_for(images: list[ImageUpload], alts: list[str], channel: Channel) -> list[str]:
    """Advice that does not stop the post: an image without alt text."""
    return [
        f"{_label(image.name)} has no alt text on {channel.name}: people using screen "
        "readers will not know what it shows"
        for image, alt in zip(images, alts, strict=True)
        if not alt.strip()
    ]


def missing_alt(post: Post) -> list[str]:
    """After compose: each image that goes out without alt text somewhere, and where."""
    names = {image.pk: image.name for image in post.images.all()}
    where: dict[int, list[str]] = {}
    for delivery in post.deliveries.select_related("channel"):
        for entry in delivery.media:
            if not str(entry.get("alt", "")).strip():
                where.setdefault(int(entry["image"]), []).append(delivery.channel.name)
    return [
        f"{_label(names[pk])} has no alt text on {', '.join(channels)}"
        for pk, channels in where.items()
        if pk in names
    ]


def store_images(post: Post, images: list[ImageUpload]) -> list[PostImage]:
    """Save the files and their rows (inside the compose transaction)."""
    stored = []
    for position, upload in enumerate(images):
        image = PostImage(
            post=post,
            position=position,
            token=secrets.token_urlsafe(24),
            name=upload.name,
            content_type=upload.content_type,
            size=upload.size,
            width=upload.width,
            height=upload.height,
            alt=upload.alt,
            sha256=hashlib.sha256(upload.data).hexdigest(),
        )
        image.file.save(image.name, ContentFile(upload.data), save=False)
        image.save()
        stored.append(image)
    return stored


def store_thumb(card: dict[str, Any], thumb: ImageUpload | None) -> dict[str, Any]:
    """The card with its picture saved to storage (``thumb`` is its storage path)."""
    if thumb is None or not card:
        return card
    ext = {v: k for k, v in FORMATS.items()}[thumb.content_type].lower()
    path = default_storage.save(f"cards/{secrets.token_urlsafe(24)}.{ext}", ContentFile(thumb.data))
    return {
        **card,
        "thumb": path,
        "thumb_type": thumb.content_type,
        "thumb_size": [thumb.size, thumb.width, thumb.height],
    }


ORPHAN_AGE = timedelta(days=1)
_STORED_UNDER = ("posts", "cards")


def sweep_orphans(*, now: datetime, older_than: timedelta = ORPHAN_AGE) -> int:
    """Delete stored images that no post or delivery refers to; return how many.

    Files are saved before the compose transaction commits, so a compose that
    then fails (a database error, a refused channel) leaves them behind, and a
    deleted post leaves its images. Only files older than ``older_than`` go: a
    compose still inside its transaction keeps its files.
    """
    referenced = set(PostImage.objects.values_list("file", flat=True))
    cards = Delivery.objects.exclude(card={}).values_list("card", flat=True)
    for card in cards.iterator(chunk_size=2000):
        if isinstance(card, dict) and card.get("thumb"):
            referenced.add(str(card["thumb"]))
    removed = 0
    for path in (p for top in _STORED_UNDER for p in _files_under(top)):
        if path in referenced or default_storage.get_modified_time(path) > now - older_than:
            continue
        default_storage.delete(path)
        removed += 1
    return removed


def _files_under(top: str) -> Iterator[str]:
    if not default_storage.exists(top):
        return
    dirs, files = default_storage.listdir(top)
    for name in files:
        yield f"{top}/{name}"
    for name in dirs:
        yield from _files_under(f"{top}/{name}")


def link_card(card: dict[str, Any]) -> LinkCard | None:
    """A delivery's pinned card (``Delivery.card``) as a record for the channel."""
    if not card.get("uri"):
        return None
    thumb = None
    if card.get("thumb"):
        size, width, height = card.get("thumb_size") or [0, 0, 0]
        thumb = MediaItem(
            name=str(card["thumb"]).rsplit("/", 1)[-1],
            content_type=str(card.get("thumb_type", "")),
            size=int(size),
            width=int(width),
            height=int(height),
            alt="",
            url="",
            read=_reader(str(card["thumb"])),
        )
    return LinkCard(
        uri=str(card["uri"]),
        title=str(card.get("title", "")),
        description=str(card.get("description", "")),
        thumb=thumb,
    )


def public_url(image: PostImage) -> str:
    return f"{settings.BASE_URL}/m/{image.token}{image.extension}"


def images_html(images: list[PostImage], alts: list[str]) -> str:
    """The images as HTML for the feed, the newsletter and webhooks (after the text)."""
    return "".join(
        f'<p><img src="{escape(public_url(image))}" alt="{escape(alt)}" '
        f'width="{image.width}" height="{image.height}"></p>\n'
        for image, alt in zip(images, alts, strict=True)
    )


def media_items(delivery_media: list[dict[str, Any]], images: list[PostImage]) -> list[MediaItem]:
    """A delivery's pinned images (``Delivery.media``) as records for the channel."""
    by_pk = {image.pk: image for image in images}
    items = []
    for entry in delivery_media:
        image = by_pk.get(int(entry.get("image", 0)))
        if image is None:
            continue
        assert image.file.name is not None  # a NOT NULL column: a saved row always has one
        items.append(
            MediaItem(
                name=image.name,
                content_type=image.content_type,
                size=image.size,
                width=image.width,
                height=image.height,
                alt=str(entry.get("alt", "")),
                url=public_url(image),
                read=_reader(image.file.name),
            )
        )
    return items


def _reader(path: str) -> Any:
    def read() -> bytes:
        with default_storage.open(path, "rb") as handle:
            return bytes(handle.read())

    return read


def _label(name: str) -> str:
    return f"image {name[:80]!r}"


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
