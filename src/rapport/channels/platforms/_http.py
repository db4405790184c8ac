"""One mapping from HTTP answers to Rapport's channel errors, for httpx-based channels.

    401, 403          ChannelAuthError         credentials revoked: needs reconnect
    429               RateLimited              wait ``retry_after`` seconds
    5xx, timeouts,    TemporaryChannelError    retry on the next poll, cursor unchanged
    dropped links
    other 4xx         PermanentChannelError    the request itself is wrong

Keeping it in one place means every platform backs off the same way and the
sync loop only ever sees :mod:`rapport.errors` types.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from rapport.channels import ratelimit
from rapport.errors import (
    ChannelAuthError,
    ChannelError,
    PermanentChannelError,
    RateLimited,
    TemporaryChannelError,
)


@contextmanager
def transport_errors(label: str) -> Iterator[None]:
    """Turn timeouts and dropped connections into ``TemporaryChannelError``."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise TemporaryChannelError(f"{label} did not answer in time ({exc})") from exc
    except httpx.TransportError as exc:
        raise TemporaryChannelError(f"could not reach {label} ({exc})") from exc


def error_for(status: int, headers: Mapping[str, str], label: str) -> ChannelError | None:
    """The channel error for an HTTP answer, or ``None`` when it succeeded.

    Works on any client's status and headers (httpx here, requests inside
    Mastodon.py), so every platform maps failures the same way.
    """
    if status < 400:
        return None
    if status in (401, 403):
        return ChannelAuthError(f"{label} refused the credentials (HTTP {status})")
    if status == 429:
        return RateLimited(
            f"{label} asks us to slow down (HTTP 429)",
            retry_after=ratelimit.retry_after(headers) or 60.0,
        )
    if status >= 500:
        wait = ratelimit.retry_after(headers) if status == 503 else None
        if wait is not None:
            return RateLimited(f"{label} is unavailable (HTTP 503)", retry_after=wait)
        return TemporaryChannelError(f"{label} failed (HTTP {status})")
    return PermanentChannelError(f"{label} rejected the request (HTTP {status})")


def check(response: httpx.Response, label: str) -> httpx.Response:
    """Raise the matching channel error for a failed ``response``; return it otherwise."""
    error = error_for(response.status_code, response.headers, label)
    if error is not None:
        raise error
    return response


def json_body(response: httpx.Response, label: str) -> Any:
    """The decoded JSON body; a truncated or non-JSON answer is a temporary fault."""
    try:
        return response.json()
    except ValueError as exc:
        raise TemporaryChannelError(f"{label} sent a body that is not JSON") from exc
