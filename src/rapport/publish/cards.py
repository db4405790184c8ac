"""Link cards: the title, description and picture of the page a post links to.

Read once at compose time (outside the compose transaction) for channels that
show a card (``link_cards = True``: Bluesky's ``app.bsky.embed.external``),
and pinned on the delivery, so every retry sends the same card and the
preview can show it. The page is someone else's server, so each request
(each redirect hop too) goes through the SSRF guard
(:func:`rapport.channels.builtin.netguard.check_public_url`), reads at most
``MAX_PAGE_BYTES`` within ``TIMEOUT`` seconds, and any failure means "no
card", never a failed post.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx

from rapport.channels.builtin.netguard import check_public_url
from rapport.errors import RapportError, ValidationError
from rapport.publish.media import ImageUpload, check_image

log = logging.getLogger(__name__)

TIMEOUT = 3.0  # seconds for the page and its picture together
MAX_PAGE_BYTES = 512 * 1024
MAX_THUMB_BYTES = 1_000_000  # Bluesky's blob limit for a card's thumb
MAX_REDIRECTS = 3
TITLE_MAX, DESCRIPTION_MAX = 300, 1000


_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)


def first_link(text: str) -> str:
    """The first http(s) link in a variant's text, without trailing punctuation."""
    match = _URL.search(text)
    if not match:
        return ""
    url = match.group(0).rstrip(".,;:!?'\"")
    if url.endswith(")") and url.count("(") < url.count(")"):
        url = url[:-1]
    return url


class _Meta(HTMLParser):
    """OpenGraph ``og:*`` and ``description`` meta tags, and the ``<title>``, from ``<head>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): v or "" for k, v in attrs}
        if tag == "meta":
            key = (values.get("property") or values.get("name") or "").lower()
            if key and key not in self.meta and values.get("content"):
                self.meta[key] = values["content"].strip()
        elif tag == "title" and not self.title:
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


@dataclass(frozen=True, slots=True)
class _Fetched:
    url: str
    content_type: str
    encoding: str
    body: bytes


def _get(client: httpx.Client, url: str, *, max_bytes: int, deadline: float) -> _Fetched:
    """GET ``url`` through the guard, following at most ``MAX_REDIRECTS`` (each hop guarded)."""
    for _ in range(MAX_REDIRECTS + 1):
        check_public_url(url, field="link")
        left = deadline - time.monotonic()
        if left <= 0:
            raise ValidationError("the linked page took too long", field="link")
        with client.stream("GET", url, timeout=left, follow_redirects=False) as response:
            if response.is_redirect and response.headers.get("Location"):
                url = urljoin(url, response.headers["Location"])
                continue
            response.raise_for_status()
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    body = body[:max_bytes]
                    break
                if time.monotonic() > deadline:
                    raise ValidationError("the linked page took too long", field="link")
            return _Fetched(
                url,
                response.headers.get("Content-Type", ""),
                response.encoding or "utf-8",
                body,
            )
    raise ValidationError("the link redirects too often", field="link")


def fetch_card(
    url: str, *, client: httpx.Client | None = None
) -> tuple[dict[str, str], ImageUpload | None]:
    """The card for ``url`` (``uri``, ``title``, ``description``) and its picture, or ({}, None).

    Never raises: a page that cannot be read leaves the post without a card.
    """
    try:
        if client is not None:
            return _read_card(client, url)
        with httpx.Client(headers={"User-Agent": "Rapport link preview"}) as own:
            return _read_card(own, url)
    except Exception:  # a bug here must not cost the owner the post
        log.warning("no link card for %s", url, exc_info=True)
        return {}, None


def _read_card(client: httpx.Client, url: str) -> tuple[dict[str, str], ImageUpload | None]:
    deadline = time.monotonic() + TIMEOUT
    try:
        page = _get(client, url, max_bytes=MAX_PAGE_BYTES, deadline=deadline)
        if "html" not in (page.content_type or "text/html"):
            return {}, None
        parser = _Meta()
        parser.feed(page.body.decode(page.encoding, errors="replace"))
        meta = parser.meta
        title = meta.get("og:title") or parser.title.strip() or url
        description = meta.get("og:description") or meta.get("description") or ""
        card = {
            "uri": url,
            "title": " ".join(title.split())[:TITLE_MAX],
            "description": " ".join(description.split())[:DESCRIPTION_MAX],
        }
    except (httpx.HTTPError, RapportError, UnicodeError, LookupError) as exc:
        log.info("no link card for %s: %s", url, exc)
        return {}, None
    thumb = None
    if meta.get("og:image"):
        image_url = urljoin(page.url, meta["og:image"])
        try:
            picture = _get(client, image_url, max_bytes=MAX_THUMB_BYTES + 1, deadline=deadline)
            if len(picture.body) <= MAX_THUMB_BYTES:
                thumb = check_image(image_url.rsplit("/", 1)[-1][:80] or "thumb", picture.body)
        except (httpx.HTTPError, RapportError) as exc:
            log.info("link card for %s without its picture: %s", url, exc)
    return card, thumb
