"""Huey tasks for publishing. They take ids and are safe to run twice."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from rapport.publish.engine import run_delivery
from rapport.publish.sweep import sweep


@db_task()
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
