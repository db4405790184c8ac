"""Periodic polling of live channels, one huey task per channel.

Every minute ``poll_channels`` enqueues ``sync_channel_task`` for each active
channel that can fetch and is due (its poll interval and any back-off have run
out). Enqueueing a channel twice is harmless: the task polls only when the
channel is still due, and ``sync_channel`` claims the channel with a
conditional database update that only one worker can win.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup

from rapport.channels.models import Channel, ChannelStatus
from rapport.channels.registry import channel_classes
from rapport.channels.sync import is_due, sync_channel

log = logging.getLogger(__name__)


def due_channel_ids(*, now: float | None = None) -> list[int]:
    kinds = [kind for kind, cls in channel_classes().items() if cls.can_fetch]
    channels = Channel.objects.filter(status=ChannelStatus.ACTIVE, kind__in=kinds).only(
        "id", "config", "last_synced_at"
    )
    return [c.pk for c in channels if is_due(c, now=now)]


@db_periodic_task(crontab(minute="*"))
def poll_channels() -> None:
    """Enqueue a sync for every due channel.

    Tasks here return nothing: huey keeps every non-None result in its store
    until read, and nobody reads a poll's result.
    """
    for channel_id in due_channel_ids():
        sync_channel_task(channel_id)


@db_task()
def sync_channel_task(channel_id: int) -> None:
    """Poll one channel if it is still due (a duplicate enqueue finds nothing to do)."""
    if not Channel.objects.filter(pk=channel_id).exists():
        return  # deleted since it was enqueued
    summary = sync_channel(channel_id=channel_id, only_if_due=True)
    log.info(
        "channel %s: %s, %d new item(s), %d signal(s) %s",
        channel_id,
        summary.outcome,
        summary.items_created,
        summary.signals_created,
        summary.message,
    )


@db_task()
def run_import_job_task(job_id: int) -> None:
    """Run one uploaded import (a second delivery finds the job no longer queued)."""
    from rapport.channels.import_jobs import run_job

    run_job(job_id=job_id)


@on_startup()
def reap_interrupted_imports() -> None:
    """A worker that starts may be the one that died mid-import: settle what it left.

    Only jobs whose runner is gone are touched (``is_live``), so a worker
    starting beside busy ones on other machines changes nothing of theirs.
    """
    from rapport.channels.import_jobs import reap_interrupted

    try:
        reaped = reap_interrupted()
    except Exception:  # the database may not be migrated yet; never stop the worker
        log.warning("could not check for interrupted imports", exc_info=True)
        return
    if reaped:
        log.info("marked %d interrupted import(s) as failed", reaped)
