"""Display filters for the desk: safe comment HTML and waiting times in words."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.safestring import SafeString, mark_safe

from rapport.inbox.models import Label
from rapport.inbox.sanitize import sanitize_html

register = template.Library()


@register.filter
def sanitized(html: str | None) -> SafeString:
    """Comment HTML, sanitised again here before it is marked safe.

    Ingest already sanitised it; doing it once more at display time means a row
    written by an older version, a bug or a direct database edit still cannot
    run script in the owner's browser.
    """
    return mark_safe(sanitize_html(html or ""))


def _words(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return "just now" if seconds < 10 else f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    days = hours // 24
    if days < 60:
        return f"{days} d"
    if days < 730:
        return f"{days // 30} mo"
    return f"{days // 365} y"


@register.filter
def duration(value: timedelta | int | float | None) -> str:
    """``timedelta`` or seconds as a short phrase: "45 min", "3 h", "2 d"."""
    if value is None:
        return "-"
    if isinstance(value, timedelta):
        return _words(value.total_seconds())
    return _words(value)


@register.filter
def safe_url(value: str | None) -> str:
    """``value`` if it is an http(s) address, else "": a stored ``javascript:`` URL never links."""
    url = (value or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else ""


@register.filter
def author_name(item: object) -> str:
    """Who wrote an item, in words; the workspace's own messages read "You"."""
    if getattr(item, "is_own", False):
        return "You"
    author = getattr(item, "author", None)
    if author is None:
        return "Someone"
    return str(author.display_name or author.key or "Someone")


@register.filter
def clip(value: str | None, length: int) -> str:
    """``value`` cut to ``length`` characters with an ellipsis; cheaper than truncatechars."""
    text = value or ""
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


_LABEL_TITLES = {value: str(title) for value, title in Label.choices}


@register.filter
def label_title(value: str | None) -> str:
    """A label's name in words; "Not triaged" for an item triage has not seen."""
    return _LABEL_TITLES.get(value or "", "Not triaged")
