"""Publishing to Mastodon exactly once: ``Idempotency-Key`` first, the account's statuses second.

    publish          POST /api/v2/media per image (alt text as ``description``), then
                     POST /api/v1/statuses per part (images on the first), each part
                     ``in_reply_to_id`` the one before; ``Idempotency-Key`` = the delivery's
                     key (``key:i`` per part of a thread), so a retry within the server's
                     window posts nothing new.
    find_published   after a lost answer: GET verify_credentials, then the account's recent
                     statuses (``RECENT_PAGES`` pages of 40), looking for the post.

Why match on text, and no hidden marker: Mastodon keeps an idempotency key for
one hour only (in Redis), while a delivery whose answer was lost may be retried
later than that, so the engine asks ``find_published`` before sending again. A
status carries nothing invisible that we could set (no metadata, and an
invisible character would be read out by screen readers and break copying), so
the lookup matches what we sent: the first part's exact text, as a new status
(no ``in_reply_to_id``), not older than the post's composition
(``OutboundPost.not_before``), then
each further part as a reply to the one before. Candidates are prefiltered on
the rendered HTML (letters and digits only, mentions without their domain,
because Mastodon rewrites links and mentions) and confirmed on the status's
source text (``GET /api/v1/statuses/:id/source``, Mastodon >= 3.5); a server
without that endpoint is trusted on the prefilter. Of several candidates the
newest wins: an identical status posted earlier by hand is the older one.

A thread found only in part is not reported as published; the parts found are
remembered on the channel object, and the ``publish`` that the engine calls
next continues after them instead of posting them again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html as htmllib
import io
import re
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import requests
from django.core.cache import cache
from mastodon.errors import MastodonNotFoundError

from rapport.channels.platforms._http import error_for
from rapport.channels.records import MediaLimits, OutboundPost, PublishResult
from rapport.errors import ChannelAuthError, PermanentChannelError, TemporaryChannelError

if TYPE_CHECKING:
    from rapport.channels.platforms.mastodon import MastodonChannel

VISIBILITIES = ("public", "unlisted", "private")
# Mastodon's defaults since 4.2 (app/models/media_attachment.rb: IMAGE_LIMIT 16 MB,
# MAX_DESCRIPTION_LENGTH 1,500; 4 attachments a status); the instance's own
# answer to /api/v2/instance wins (read_media_limits).
MEDIA_LIMITS = MediaLimits(
    max_images=4,
    max_bytes=16 * 1024 * 1024,
    max_alt=1500,
    max_pixels=33_177_600,
)
PAGE = 40
RECENT_PAGES = 3
PROCESSING_WAIT, PROCESSING_POLL = 60.0, 1.0  # seconds, for an image the server still processes
CLOCK_SKEW = timedelta(minutes=2)
_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<br\s*/?>|</p>", re.IGNORECASE)
_MENTION_DOMAIN = re.compile(r"(?<![\w@])@(\w+)@[\w.-]+\w")


def parts_of(post: OutboundPost) -> list[str]:
    return list(post.parts) or [post.text]


def part_key(post: OutboundPost, index: int, count: int) -> str:
    """The ``Idempotency-Key`` of one part: the delivery's key, plus the index in a thread."""
    return post.idempotency_key if count == 1 else f"{post.idempotency_key}:{index}"


def error_message(response: requests.Response) -> str:
    """Mastodon's own words from an error answer (``{"error": "..."}``), if any."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300].strip()
    message = body.get("error") if isinstance(body, dict) else None
    return str(message)[:300] if message else ""


def _result(status: Any) -> PublishResult:
    return PublishResult(remote_id=str(status["id"]), remote_url=str(status.get("url") or ""))


def _resume(channel: MastodonChannel, post: OutboundPost) -> list[Any]:
    found: dict[str, list[Any]] = getattr(channel, "_found_parts", {})
    return list(found.pop(post.idempotency_key, []))


def read_media_limits(
    config: dict[str, Any], secrets: dict[str, Any], default: MediaLimits
) -> MediaLimits:
    """The instance's own limits from ``GET /api/v2/instance`` (cached an hour), else ``default``.

    Servers differ (an admin can raise them; older Mastodon allowed 10 MB),
    so the composer asks the server rather than trusting one number.
    """
    base = str(config.get("base_url", "")).rstrip("/")
    key = "rapport:mastodon-media-limits:" + hashlib.sha256(base.encode()).hexdigest()
    cached = cache.get(key)
    if isinstance(cached, MediaLimits):
        return cached
    try:
        answer = httpx.get(f"{base}/api/v2/instance", timeout=3.0, follow_redirects=False)
        answer.raise_for_status()
        configuration = answer.json().get("configuration") or {}
        media = configuration.get("media_attachments") or {}
        statuses = configuration.get("statuses") or {}
        limits = dataclasses.replace(
            default,
            max_images=int(statuses.get("max_media_attachments") or default.max_images),
            max_bytes=int(media.get("image_size_limit") or default.max_bytes),
            max_pixels=int(media.get("image_matrix_limit") or default.max_pixels or 0) or None,
            max_alt=int(media.get("description_limit") or default.max_alt or 0) or None,
        )
    except (httpx.HTTPError, ValueError, TypeError, AttributeError):
        cache.set(key, default, 60)  # unreachable: the defaults, asked again in a minute
        return default
    cache.set(key, limits, 3600)
    return limits


def _upload(channel: MastodonChannel, post: OutboundPost) -> list[str]:
    """``POST /api/v2/media`` for each image, with its alt text as ``description``.

    An upload has no idempotency key, but it is harmless to repeat: a media
    attachment is invisible until a status uses it (Mastodon deletes unused
    ones after a day), and the status itself keeps its ``Idempotency-Key``.
    A large image answers 202 with ``url: null`` while the server processes
    it; a status naming an unprocessed attachment is refused, so this waits
    (``GET /api/v1/media/:id``, 206 until done) at most ``PROCESSING_WAIT`` seconds.
    """
    ids = []
    for item in post.media:
        attachment = _media_call(
            channel,
            "POST",
            "/api/v2/media",
            files={"file": (item.name, io.BytesIO(item.read()), item.content_type)},
            data={"description": item.alt} if item.alt else {},
        )
        deadline = time.monotonic() + PROCESSING_WAIT
        while attachment.get("url") is None:
            if time.monotonic() > deadline:
                raise TemporaryChannelError(
                    f"Mastodon is still processing image {item.name!r}; trying again later"
                )
            time.sleep(PROCESSING_POLL)
            attachment = _media_call(channel, "GET", f"/api/v1/media/{attachment['id']}")
        ids.append(str(attachment["id"]))
    return ids


def _media_call(channel: MastodonChannel, method: str, path: str, **kwargs: Any) -> Any:
    """One media request on Mastodon.py's session, mapped to Rapport's errors here.

    Not ``Mastodon.media_post``: it first asks the server's version (and
    recurses without end when ``/api/v1/instance`` fails) and its
    ``synchronous`` mode polls forever.
    """
    api = channel.api
    label = f"Mastodon at {channel.host}"
    try:
        response = api.session.request(
            method,
            f"{api.api_base_url}{path}",
            headers={"Authorization": f"Bearer {api.access_token}"},
            timeout=api.request_timeout,
            **kwargs,
        )
    except requests.RequestException as exc:
        raise TemporaryChannelError(f"could not reach {label} ({exc})") from exc
    if response.status_code == 401:
        raise ChannelAuthError(f"{label}: token revoked — reconnect")
    if response.status_code == 422:
        message = error_message(response) or "the image is not valid"
        raise PermanentChannelError(f"{label} refused the image: {message}")
    error = error_for(response.status_code, response.headers, label)
    if error is not None:
        raise error
    try:
        body = response.json()
    except ValueError:
        raise TemporaryChannelError(f"{label} sent a media answer that is not JSON") from None
    if not isinstance(body, dict) or not body.get("id"):
        raise TemporaryChannelError(f"{label} sent a media answer without an id")
    return body


def publish(channel: MastodonChannel, post: OutboundPost) -> PublishResult:
    parts = parts_of(post)
    visibility = str(channel.config.get("visibility") or "public")
    statuses = _resume(channel, post)  # parts find_published saw already posted
    for index, text in enumerate(parts):
        if index < len(statuses):
            continue
        posted = channel.api.status_post(
            text,
            in_reply_to_id=statuses[-1]["id"] if statuses else None,
            media_ids=(_upload(channel, post) or None) if index == 0 else None,
            visibility=visibility if visibility in VISIBILITIES else "public",
            idempotency_key=part_key(post, index, len(parts)),
        )
        statuses.append(posted)
    return _result(statuses[0])


def find_published(channel: MastodonChannel, post: OutboundPost) -> PublishResult | None:
    api = channel.api
    me = api.account_verify_credentials()["id"]
    recent: list[Any] = []
    page: Any = api.account_statuses(me, limit=PAGE, exclude_reblogs=True)
    for _ in range(RECENT_PAGES):
        if not page:
            break
        recent.extend(s for s in page if isinstance(s, dict) and s.get("id"))
        page = api.fetch_next(page)
    recent.sort(key=lambda s: (len(str(s["id"])), str(s["id"])), reverse=True)  # newest first
    not_before = _not_before(post)
    parts = parts_of(post)
    found: list[Any] = []
    for text in parts:
        parent = str(found[-1]["id"]) if found else None
        match = next(
            (
                s
                for s in recent
                if _reply_to(s) == parent
                and (parent or _recent_enough(s, not_before))
                and _same_text(channel, s, text)
            ),
            None,
        )
        if match is None:
            break
        found.append(match)
    if len(found) == len(parts):
        return _result(found[0])
    if found:  # a thread cut short: publish continues after these
        if not hasattr(channel, "_found_parts"):
            channel._found_parts = {}  # type: ignore[attr-defined]
        channel._found_parts[post.idempotency_key] = found  # type: ignore[attr-defined]
    return None


def _reply_to(status: Any) -> str | None:
    parent = status.get("in_reply_to_id")
    return str(parent) if parent else None


def _not_before(post: OutboundPost) -> datetime | None:
    when = post.not_before
    return when - CLOCK_SKEW if when is not None else None


def _recent_enough(status: Any, not_before: datetime | None) -> bool:
    if not_before is None:
        return True
    created = status.get("created_at")
    if isinstance(created, str):
        try:
            created = datetime.fromisoformat(created.replace("Z", "+00:00"))
        except ValueError:
            return False
    return isinstance(created, datetime) and created >= not_before


def loose(text: str) -> str:
    """Letters and digits only, case-folded, mentions without their domain."""
    text = _MENTION_DOMAIN.sub(r"@\1", text)
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def html_text(content: str) -> str:
    return htmllib.unescape(_TAG.sub("", _BREAK.sub("\n", content)))


def _exact(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def _same_text(channel: MastodonChannel, status: Any, text: str) -> bool:
    if loose(html_text(str(status.get("content") or ""))) != loose(text):
        return False
    try:
        source = channel.api.status_source(status["id"])
    except MastodonNotFoundError:  # a server older than 3.5: the prefilter has to do
        return True
    return _exact(str(source.get("text") or "")) == _exact(text)
