"""Poll one channel: fetch from its cursor, ingest, then move the cursor.

The new cursor is written in the same transaction as the ingested rows and
only if the cursor is still the one the fetch started from, so a timeout, a
dropped connection or a worker killed mid-poll loses nothing and adds nothing
twice: the next poll resumes from the stored cursor (and ingest is idempotent).

Two workers never poll one channel at once: a poll first claims the channel
with a conditional update of ``last_synced_at`` (the time the last poll
started), which only one of them can win, on any number of machines; a worker
killed mid-poll holds nothing. A channel that is rate limited or failing is not
polled again before its back-off runs out; the back-off lives in huey's
key/value storage (SQLite or Redis, shared by every worker), never in process
memory.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import httpx
from django.db import transaction
from django.utils import timezone
from huey.api import Huey

from rapport.channels import base, ratelimit
from rapport.channels.models import Channel, ChannelStatus
from rapport.channels.records import Record
from rapport.channels.services import mark_needs_reconnect, open_channel
from rapport.errors import ChannelAuthError, ChannelError, NotFound, RateLimited

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 300
MIN_INTERVAL = 60

Outcome = Literal["ok", "rate_limited", "failed", "needs_reconnect", "skipped"]


@dataclass(slots=True)
class SyncSummary:
    """What one poll of one channel did, for the CLI, the task log and the tests."""

    channel_id: int
    outcome: Outcome = "ok"
    fetched: int = 0
    items_created: int = 0
    signals_created: int = 0
    posts_created: int = 0
    already_present: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    retry_after: float | None = None
    message: str = ""


def _huey() -> Huey:
    from huey.contrib.djhuey import HUEY

    return HUEY


def _backoff_key(channel_id: int) -> str:
    return f"rapport.channel-backoff.{channel_id}"


def backoff_until(channel_id: int) -> tuple[float, int]:
    """``(epoch before which not to poll, consecutive failures)`` for a channel."""
    value = _huey().get(_backoff_key(channel_id), peek=True)
    return value if isinstance(value, tuple) and len(value) == 2 else (0.0, 0)


def _set_backoff(channel_id: int, wait: float, failures: int) -> None:
    _huey().put(_backoff_key(channel_id), (time.time() + wait, failures))


def _clear_backoff(channel_id: int) -> None:
    _huey().delete(_backoff_key(channel_id))


def reconnect_message(channel: Channel, reason: str) -> str:
    from rapport.channels.registry import channel_class

    label = channel_class(channel.kind).label or channel.kind
    where = f"/w/{channel.workspace.slug}/channels/{channel.pk}/reconnect/"
    return f"{reason} — reconnect {label} ({channel.name}) at {where}"


def poll_interval(channel: Channel) -> int:
    """Seconds between polls: ``config["poll_interval"]``, default 300, at least 60."""
    raw = channel.config.get("poll_interval", DEFAULT_INTERVAL)
    try:
        return max(MIN_INTERVAL, int(raw))
    except (TypeError, ValueError):
        return DEFAULT_INTERVAL


def is_due(channel: Channel, *, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    if backoff_until(channel.pk)[0] > now:
        return False
    last: datetime | None = channel.last_synced_at
    return last is None or last.timestamp() + poll_interval(channel) <= now


def _claim(channel: Channel) -> bool:
    """Win the right to poll ``channel`` now; only one concurrent caller can."""
    now = timezone.now()
    if channel.last_synced_at is None:
        same = Channel.objects.filter(pk=channel.pk, last_synced_at__isnull=True)
    else:
        same = Channel.objects.filter(pk=channel.pk, last_synced_at=channel.last_synced_at)
    if same.update(last_synced_at=now) != 1:
        return False
    channel.last_synced_at = now
    return True


def sync_channel(
    *, channel_id: int, http: httpx.Client | None = None, only_if_due: bool = False
) -> SyncSummary:
    """Fetch and ingest what is new on one channel; never raises a ``ChannelError``.

    ``only_if_due`` (the periodic task) skips a channel whose interval or
    back-off has not run out; the CLI polls at once.
    """
    channel = Channel.objects.select_related("workspace").filter(pk=channel_id).first()
    if channel is None:
        raise NotFound(f"no channel with id {channel_id}")
    summary = SyncSummary(channel_id=channel_id)
    if channel.status != ChannelStatus.ACTIVE:
        summary.outcome, summary.message = "skipped", f"channel is {channel.status}"
        return summary
    own_http = http is None
    http = http or httpx.Client(timeout=20.0, follow_redirects=False)
    try:
        return _sync(channel, open_channel(channel, http=http), only_if_due, summary)
    finally:
        if own_http:
            http.close()


def _sync(
    channel: Channel, plugin: base.Channel, only_if_due: bool, summary: SyncSummary
) -> SyncSummary:
    channel_id = channel.pk
    if not plugin.can_fetch:
        summary.outcome, summary.message = "skipped", f"{channel.kind} channels do not fetch"
        return summary
    if only_if_due and not is_due(channel):
        summary.outcome, summary.message = "skipped", "not due yet"
        return summary
    if not _claim(channel):
        summary.outcome, summary.message = "skipped", "another worker is polling this channel"
        return summary
    started_from = channel.cursor
    try:
        result = plugin.fetch(started_from)
    except ChannelAuthError as exc:
        message = reconnect_message(channel, str(exc))
        mark_needs_reconnect(channel_id=channel_id, message=message)
        summary.outcome, summary.message = "needs_reconnect", message
        return summary
    except RateLimited as exc:
        _set_backoff(channel_id, exc.retry_after, backoff_until(channel_id)[1])
        summary.outcome, summary.message = "rate_limited", str(exc)
        summary.retry_after = exc.retry_after
        return summary
    except ChannelError as exc:  # temporary or permanent: back off, keep the cursor
        return _failed(summary, str(exc))
    except Exception as exc:  # a plugin bug must not stop the other channels
        log.exception("channel %s: fetch crashed", channel_id)
        return _failed(summary, f"the {channel.kind} plugin failed: {type(exc).__name__}")
    _ingest(channel, started_from, result.records, result.cursor, summary)
    if summary.outcome == "ok":
        # A platform that says the budget is spent (remaining 0) is left alone until reset.
        hint = getattr(plugin, "retry_after_hint", None)
        if isinstance(hint, (int, float)) and hint > 0:
            _set_backoff(channel_id, float(hint), 0)
            summary.retry_after = float(hint)
        else:
            _clear_backoff(channel_id)
    return summary


def _failed(summary: SyncSummary, message: str) -> SyncSummary:
    failures = backoff_until(summary.channel_id)[1] + 1
    wait = ratelimit.backoff(failures)
    _set_backoff(summary.channel_id, wait, failures)
    summary.outcome, summary.message, summary.retry_after = "failed", message, wait
    log.warning("channel %s: %s (retry in %.0f s)", summary.channel_id, message, wait)
    return summary


def _ingest(
    channel: Channel, started_from: str, records: list[Record], cursor: str, summary: SyncSummary
) -> None:
    from rapport.inbox.ingest import ingest_records

    summary.fetched = len(records)
    with transaction.atomic():
        done = ingest_records(
            workspace=channel.workspace, source=channel.source_key, records=records, channel=channel
        )
        moved = Channel.objects.filter(pk=channel.pk, cursor=started_from).update(cursor=cursor)
        if not moved:  # another poll moved the cursor meanwhile: its rows win
            transaction.set_rollback(True)
            summary.outcome, summary.message = (
                "skipped",
                "another poll of this channel finished first",
            )
            return
        if done.items_created:
            workspace_id = channel.workspace_id
            transaction.on_commit(lambda: _triage(workspace_id))
    summary.items_created = done.items_created
    summary.signals_created = done.signals_created
    summary.posts_created = done.posts_created
    summary.already_present = done.already_present
    summary.skipped = done.skipped
    for reason, count in done.skipped.items():
        log.info("channel %s: skipped %d record(s): %s", channel.pk, count, reason)


def _triage(workspace_id: int) -> None:
    from rapport.triage.tasks import triage_pending_task

    triage_pending_task(workspace_id)
