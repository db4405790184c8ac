"""Huey tasks for publishing. They take ids and are safe to run twice.

A delivery due in the future is not one huey task of its own: ``enqueue_delivery``
schedules one ``dispatch_due`` per due second (de-duplicated through huey's
key-value store), which hands everything due to ``deliver_batch`` tasks of
``BATCH`` ids. Ten thousand deliveries due in one minute are then about a
hundred tasks, not ten thousand. A dispatch that never runs (its worker was
killed) is covered by the minute sweep, like any other lost task.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any

from django.db import connections
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from rapport.publish.batch import run_batch
from rapport.publish.engine import run_delivery
from rapport.publish.sweep import due_ids, sweep

BATCH = 100
DISPATCH_LIMIT = 20_000


def keep_db(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Like djhuey's ``db_task`` wrapper, but a healthy connection is kept between tasks.

    ``db_task`` closes every connection after each task (with SQLite's
    CONN_MAX_AGE=0 that is a reconnect per delivery, ~1.6 ms of ~9). A
    connection is dropped here only when it saw an error and no longer works,
    or is left inside a transaction.
    """

    @wraps(fn)
    def inner(*args: Any, **kwargs: Any) -> Any:
        if HUEY.immediate:  # tests: the caller's connection and transaction
            return fn(*args, **kwargs)
        for conn in connections.all(initialized_only=True):
            if conn.connection is None:
                continue
            if conn.in_atomic_block or (conn.errors_occurred and not conn.is_usable()):
                conn.close()
            conn.errors_occurred = False
        return fn(*args, **kwargs)

    return inner


@HUEY.task()
@keep_db
def deliver(delivery_id: int) -> None:
    run_delivery(delivery_id)


@HUEY.task()
@keep_db
def deliver_batch(delivery_ids: list[int]) -> None:
    run_batch(delivery_ids)


def enqueue_batches(delivery_ids: list[int], *, delay: float | None = None) -> None:
    """Hand ``delivery_ids`` to the workers, ``BATCH`` per task (after ``delay`` seconds)."""
    for start in range(0, len(delivery_ids), BATCH):
        chunk = delivery_ids[start : start + BATCH]
        if delay:
            deliver_batch.schedule(args=(chunk,), delay=delay)
        else:
            deliver_batch(chunk)


def _dispatch_key(second: int) -> str:
    return f"rapport:publish:dispatch:{second}"


@HUEY.task()
@keep_db
def dispatch_due(second: int | None = None) -> None:
    """Queue everything due now in batches (scheduled once per due second)."""
    if second is not None:
        HUEY.delete(_dispatch_key(second))  # a later enqueue for this second schedules anew
    ids = due_ids(timezone.now(), grace=timedelta(0), limit=DISPATCH_LIMIT)
    enqueue_batches(ids)
    if len(ids) >= DISPATCH_LIMIT:
        dispatch_due()


@db_periodic_task(crontab(minute="*"))
def sweep_deliveries() -> None:
    """Every minute: recover dead claims, release held deliveries, run what is overdue."""
    enqueue_batches(sweep(timezone.now()))


@db_periodic_task(crontab(hour="4", minute="13"))
def sweep_orphan_media() -> int:
    """Nightly: delete image files that no post or delivery refers to any more."""
    from rapport.publish.media import sweep_orphans

    return sweep_orphans(now=timezone.now())


def enqueue_delivery(delivery_id: int, due_at: datetime) -> None:
    """Queue one delivery for its time; call it from ``transaction.on_commit``.

    Due now: its own task. Due later: one ``dispatch_due`` at the end of that
    second, shared by every delivery due in it (the row is committed before this runs,
    so the dispatch finds it).
    """
    if due_at <= timezone.now():
        deliver(delivery_id)
        return
    second = math.ceil(due_at.timestamp())  # never early: the second after it is due
    if HUEY.immediate or HUEY.put_if_empty(_dispatch_key(second), "1"):
        dispatch_due.schedule(args=(second,), eta=datetime.fromtimestamp(second, UTC))
