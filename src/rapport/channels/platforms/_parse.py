"""Small checked readers for platform payloads: every answer is hostile until checked.

Each reader returns a value of the promised type or raises :class:`Unusable`
with a short reason, which a channel turns into a ``SkippedRecord`` so one odd
payload never stops a poll.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

MAX_TEXT = 200_000  # characters: longer bodies are hostile, not comments


class Unusable(ValueError):
    """A payload that cannot become a record; ``str(exc)`` is the reason."""


def obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Unusable(f"{what} is not an object")
    return value


def ident(payload: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    """An id: a string, or a number some servers send instead (turned into a string)."""
    value = payload.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return string(payload, key, required=required)[:300]


def string(payload: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    """A string field, at most ``MAX_TEXT`` long."""
    value = payload.get(key)
    if value is None or value == "":
        if required:
            raise Unusable(f"missing {key}")
        return ""
    if not isinstance(value, str):
        raise Unusable(f"{key} is not a string")
    if len(value) > MAX_TEXT:
        raise Unusable(f"{key} is too long ({len(value)} characters)")
    return str.__str__(value)  # a plain str, also from SDK subclasses (Mastodon.py ids)


def timestamp(payload: Mapping[str, Any], key: str) -> datetime:
    """An ISO 8601 time (``Z`` or an offset); naive times are taken as UTC.

    SDKs that already parsed it (Mastodon.py) hand over a ``datetime``.
    """
    if isinstance(payload.get(key), datetime):
        value = payload[key]
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    raw = string(payload, key)
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Unusable(f"{key} is not an ISO 8601 time") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def int_id(value: str) -> int | None:
    """Numeric ids compare as numbers; anything else compares as text."""
    return int(value) if value.isdigit() and len(value) < 40 else None


def newer(a: str, b: str) -> bool:
    """Whether id ``a`` sorts after id ``b`` (numeric when both are numeric)."""
    ia, ib = int_id(a), int_id(b)
    if ia is not None and ib is not None:
        return ia > ib
    return (len(a), a) > (len(b), b)
