"""Every header style platforms use to say "wait", parsed by one helper."""

from __future__ import annotations

import pytest

from rapport.channels import ratelimit
from rapport.channels.platforms._http import error_for
from rapport.errors import (
    ChannelAuthError,
    PermanentChannelError,
    RateLimited,
    TemporaryChannelError,
)

NOW = 1_795_425_000.0  # 2026-11-23T09:10:00Z: a fixed "now", so no test races the clock


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "120"}, 120),
        ({"retry-after": "Mon, 23 Nov 2026 09:12:00 GMT"}, 120),  # an HTTP date
        ({"X-RateLimit-Reset": str(int(NOW) + 300)}, 300),  # epoch (mastodon-mock, GitHub)
        ({"X-RateLimit-Reset": "2026-11-23T09:15:00.000Z"}, 300),  # ISO 8601 (real Mastodon)
        ({"X-RateLimit-Reset": "2026-11-23T09:00:00Z"}, -600),  # already past: clamped
        ({"RateLimit-Reset": str(int(NOW) + 42)}, 42),  # epoch (Bluesky PDS)
        ({"RateLimit-Reset": "30"}, 30),  # delta (IETF draft)
        ({"RateLimit": '"default";r=0;t=17'}, 17),  # IETF structured field
        ({"Retry-After": "90", "X-RateLimit-Reset": str(int(NOW) + 300)}, 90),  # Retry-After wins
    ],
)
def test_reads_every_header_style(headers: dict[str, str], expected: float) -> None:
    assert ratelimit.retry_after(headers, now=NOW) == ratelimit.clamp(expected)


def test_iso_reset_with_an_offset() -> None:
    reset = "2026-11-23T10:15:00+01:00"  # 09:15 UTC
    assert ratelimit.retry_after({"X-RateLimit-Reset": reset}, now=NOW) == pytest.approx(300)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Retry-After": "soon"}, {"Retry-After": "-5"}, {"X-RateLimit-Reset": "NaN"}],
)
def test_garbage_is_ignored(headers: dict[str, str]) -> None:
    assert ratelimit.retry_after(headers, now=NOW) is None


def test_absurd_waits_are_clamped() -> None:
    assert ratelimit.retry_after({"Retry-After": "99999999"}, now=NOW) == ratelimit.MAX_WAIT
    assert ratelimit.retry_after({"Retry-After": "0"}, now=NOW) == ratelimit.MIN_WAIT


def test_exhausted_budget() -> None:
    assert ratelimit.exhausted({"X-RateLimit-Remaining": "0"})
    assert ratelimit.exhausted({"RateLimit": "limit=100, remaining=0, reset=50"})
    assert not ratelimit.exhausted({"ratelimit-remaining": "12"})
    assert not ratelimit.exhausted({"X-RateLimit-Remaining": "lots"})


def test_backoff_grows_and_is_capped() -> None:
    waits = [ratelimit.backoff(n) for n in range(1, 10)]
    assert waits == sorted(waits) and waits[0] == 60 and waits[-1] == 3600


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, ChannelAuthError),
        (403, ChannelAuthError),
        (429, RateLimited),
        (500, TemporaryChannelError),
        (502, TemporaryChannelError),
        (404, PermanentChannelError),
    ],
)
def test_http_status_maps_to_one_error(status: int, error: type[Exception]) -> None:
    assert isinstance(error_for(status, {}, "Example"), error)
    assert error_for(200, {}, "Example") is None


def test_503_with_retry_after_is_a_rate_limit() -> None:
    error = error_for(503, {"Retry-After": "45"}, "Example")
    assert isinstance(error, RateLimited) and error.retry_after == 45
