"""Huey tasks for publishing. They take ids and are safe to run twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.db import connections
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from rapport.publish.engine import run_delivery
from rapport.publish.sweep import sweep


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


@db_periodic_task(crontab(minute="*"))
def sweep_deliveries() -> None:
    """Every minute: recover dead claims, release held deliveries, run what is overdue."""
    for delivery_id in sweep(timezone.now()):
        deliver(delivery_id)


def enqueue_delivery(delivery_id: int, due_at: datetime) -> None:
    """Queue one delivery for its time; call it from ``transaction.on_commit``."""
    if due_at <= timezone.now():
        deliver(delivery_id)
    else:
        deliver.schedule(args=(delivery_id,), eta=due_at)
