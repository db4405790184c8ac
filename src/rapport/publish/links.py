"""Tracked links: ``/l/<code>`` redirects to the real URL and counts the click.

Only a day-level count per referrer *domain* is stored: no IP address, no
user agent, no cookie. That is enough to say which post brought visitors.
"""

from __future__ import annotations

import secrets
from datetime import date
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from rapport.errors import NotFound
from rapport.publish.models import Click, Link, Post

_ALPHABET = "abcdefghijkmnopqrstuvwxyz23456789"


def short_url(code: str) -> str:
    return f"{settings.BASE_URL}/l/{code}"


def _new_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(8))


def create_links(*, post: Post, urls: list[str]) -> list[Link]:
    """One tracked link per URL of ``post`` (re-using those it already has)."""
    existing = {link.url: link for link in Link.objects.filter(post=post)}
    links = []
    for url in urls:
        if url not in existing:
            existing[url] = Link.objects.create(
                workspace=post.workspace, post=post, url=url, code=_new_code()
            )
        links.append(existing[url])
    return links


def tracked_map(post: Post) -> dict[str, str]:
    """Original URL → short URL for every tracked link of ``post``."""
    return {link.url: short_url(link.code) for link in Link.objects.filter(post=post)}


def referrer_domain(referrer: str) -> str:
    host = (urlsplit(referrer).hostname or "") if referrer else ""
    return host.removeprefix("www.")[:200]


def record_click(*, code: str, referrer: str = "", day: date) -> str:
    """Count one click on ``code`` and return where it goes."""
    link = Link.objects.filter(code=code).only("pk", "url").first()
    if link is None:
        raise NotFound(f"no tracked link {code!r}")
    domain = referrer_domain(referrer)
    if not Click.objects.filter(link=link, day=day, referrer_domain=domain).update(
        count=F("count") + 1
    ):
        try:
            with transaction.atomic():
                Click.objects.create(link=link, day=day, referrer_domain=domain, count=1)
        except IntegrityError:  # a concurrent first click created it
            Click.objects.filter(link=link, day=day, referrer_domain=domain).update(
                count=F("count") + 1
            )
    return link.url
