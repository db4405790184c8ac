"""How long a platform asks us to wait, read from whichever headers it sends.

Platforms disagree on the shape of the same answer:

    Retry-After: 120                          seconds (RFC 9110)
    Retry-After: Wed, 21 Oct 2026 07:28:00 GMT  an HTTP date
    X-RateLimit-Reset: 1795425579             epoch seconds (GitHub, mastodon-mock)
    X-RateLimit-Reset: 2026-11-23T09:20:00.000Z  ISO 8601 (real Mastodon)
    RateLimit-Reset: 1795425579               epoch seconds (Bluesky PDS)
    RateLimit-Reset: 30                       seconds from now (IETF draft)
    RateLimit: "default";r=0;t=30             the IETF structured field

Every value is hostile until parsed: a garbage, negative or absurd value is
ignored, and the answer is clamped to ``[MIN_WAIT, MAX_WAIT]`` so a broken
server can neither make us hammer it nor silence a channel for a year.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

MIN_WAIT = 1.0
MAX_WAIT = 24 * 3600.0
EPOCH_THRESHOLD = 1_000_000_000  # larger numbers are timestamps, smaller are deltas
RESET_HEADERS = ("x-ratelimit-reset", "ratelimit-reset", "x-rate-limit-reset")
REMAINING_HEADERS = ("x-ratelimit-remaining", "ratelimit-remaining", "x-rate-limit-remaining")
_STRUCTURED_T = re.compile(r"(?:^|[;,\s])(?:t|reset)=(\d+(?:\.\d+)?)")
_STRUCTURED_R = re.compile(r"(?:^|[;,\s])(?:r|remaining)=(\d+)")


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(k).lower(): str(v).strip() for k, v in headers.items()}


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _moment(value: str, now: float) -> float | None:
    """Seconds from ``now`` until ``value``: a delta, an epoch, an ISO or HTTP date."""
    number = _number(value)
    if number is not None:
        return number - now if number >= EPOCH_THRESHOLD else number
    when: datetime | None = None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp() - now


def clamp(seconds: float) -> float:
    return min(MAX_WAIT, max(MIN_WAIT, seconds))


def retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait before the next call, or ``None`` when no header says.

    ``Retry-After`` wins when present; otherwise the rate-limit reset headers
    (any of the styles above). Use on a 429 or 503, or after
    :func:`exhausted` says the budget is spent.
    """
    now = time.time() if now is None else now
    h = _lower(headers)
    if "retry-after" in h and (wait := _moment(h["retry-after"], now)) is not None:
        return clamp(wait)
    for name in RESET_HEADERS:
        if name in h and (wait := _moment(h[name], now)) is not None:
            return clamp(wait)
    if "ratelimit" in h and (match := _STRUCTURED_T.search(h["ratelimit"])):
        return clamp(float(match.group(1)))
    return None


def exhausted(headers: Mapping[str, str]) -> bool:
    """True when the platform says no request is left in this window."""
    h = _lower(headers)
    for name in REMAINING_HEADERS:
        if name in h and (left := _number(h[name])) is not None:
            return left <= 0
    if "ratelimit" in h and (match := _STRUCTURED_R.search(h["ratelimit"])):
        return int(match.group(1)) <= 0
    return False


def backoff(failures: int, *, base: float = 60.0, cap: float = 3600.0) -> float:
    """Exponential back-off after ``failures`` consecutive errors with no header to go by."""
    return clamp(min(cap, base * 2 ** max(0, min(failures - 1, 20))))
