"""Delivery engine in huey immediate mode: claims, retries, reconciliation, holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.channels.builtin.fake import FakePlatform
from rapport.channels.models import ChannelStatus
from rapport.channels.services import reconnect
from rapport.errors import (
    ChannelAuthError,
    PermanentChannelError,
    RateLimited,
    TemporaryChannelError,
)
from rapport.publish.engine import MAX_ATTEMPTS, claim, run_delivery
from rapport.publish.models import DeliveryStatus, PostStatus
from rapport.publish.services import compose_post
from rapport.publish.sweep import sweep

pytestmark = pytest.mark.django_db


def schedule(workspace, channel, *, minutes: int = 5):  # type: ignore[no-untyped-def]
    at = timezone.now() + timedelta(minutes=minutes)
    post = compose_post(
        workspace=workspace,
        author=None,
        title="T",
        body="Hello **world**",
        channel_ids=[channel.pk],
        at=at,
    )
    return post, post.deliveries.get(), at


def test_sends_once_when_due_and_records_remote_id(workspace, fake_channel):
    post, delivery, at = schedule(workspace, fake_channel)
    assert run_delivery(delivery.pk) is None  # not due yet
    assert run_delivery(delivery.pk, now=at) == DeliveryStatus.SENT
    assert run_delivery(delivery.pk, now=at) is None  # a duplicate task does nothing
    delivery.refresh_from_db()
    post.refresh_from_db()
    assert delivery.remote_id == f"fake-{delivery.idempotency_key}"
    assert delivery.remote_url.startswith("https://fake.example/")
    assert delivery.attempts == 1 and delivery.sent_at == at
    assert post.status == PostStatus.PUBLISHED
    assert [p.text for p in FakePlatform.get("t").published] == ["Hello world"]


def test_claim_is_exclusive(workspace, fake_channel):
    _, delivery, at = schedule(workspace, fake_channel)
    assert claim(delivery.pk, now=at) == DeliveryStatus.SCHEDULED
    assert claim(delivery.pk, now=at) is None


def test_rate_limit_backs_off_at_least_retry_after(workspace, fake_channel):
    _, delivery, at = schedule(workspace, fake_channel)
    FakePlatform.get("t").fail_next(RateLimited("slow down", retry_after=600))
    assert run_delivery(delivery.pk, now=at) == DeliveryStatus.SCHEDULED
    delivery.refresh_from_db()
    assert delivery.due_at >= at + timedelta(seconds=600)
    assert "slow down" in delivery.error
    assert run_delivery(delivery.pk, now=at + timedelta(seconds=590)) is None
    assert run_delivery(delivery.pk, now=delivery.due_at) == DeliveryStatus.SENT
    assert len(FakePlatform.get("t").published) == 1


def test_lost_answer_is_unconfirmed_then_reconciled_not_resent(workspace, fake_channel):
    _, delivery, at = schedule(workspace, fake_channel)
    platform = FakePlatform.get("t")
    platform.lose_answer_next()
    assert run_delivery(delivery.pk, now=at) == DeliveryStatus.UNCONFIRMED
    delivery.refresh_from_db()
    calls = platform.calls
    assert run_delivery(delivery.pk, now=delivery.due_at) == DeliveryStatus.SENT
    assert platform.calls == calls  # found by key: publish was not called again
    assert len(platform.published) == 1


def test_unconfirmed_and_not_found_is_sent_with_the_same_key(workspace, fake_channel):
    _, delivery, at = schedule(workspace, fake_channel)
    FakePlatform.get("t").fail_next(TemporaryChannelError("connection reset"))
    assert run_delivery(delivery.pk, now=at) == DeliveryStatus.UNCONFIRMED
    delivery.refresh_from_db()
    assert run_delivery(delivery.pk, now=delivery.due_at) == DeliveryStatus.SENT
    [sent] = FakePlatform.get("t").published
    assert sent.idempotency_key == str(delivery.idempotency_key)


def test_auth_error_holds_until_reconnect(workspace, fake_channel):
    _, delivery, at = schedule(workspace, fake_channel)
    FakePlatform.get("t").fail_next(ChannelAuthError("token revoked; reconnect"))
    assert run_delivery(delivery.pk, now=at) == DeliveryStatus.HELD
    fake_channel.refresh_from_db()
    assert fake_channel.status == ChannelStatus.NEEDS_RECONNECT
    assert sweep(at + timedelta(minutes=5)) == []  # nothing runs on a broken channel
    reconnect(channel=fake_channel, secrets={})
    later = at + timedelta(minutes=10)
    assert sweep(later, grace=timedelta(0)) == [delivery.pk]
    assert run_delivery(delivery.pk, now=later) == DeliveryStatus.SENT


def test_permanent_error_fails_with_the_platforms_message(workspace, fake_channel):
    _, delivery, at = schedule(workspace, fake_channel)
    FakePlatform.get("t").fail_next(PermanentChannelError("422: text contains a banned word"))
    assert run_delivery(delivery.pk, now=at) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert delivery.error == "422: text contains a banned word"


def test_gives_up_after_max_attempts(workspace, fake_channel):
    _, delivery, at = schedule(workspace, fake_channel)
    FakePlatform.get("t").fail_next(*[RateLimited("busy", retry_after=1)] * MAX_ATTEMPTS)
    now = at
    for _ in range(MAX_ATTEMPTS):
        status = run_delivery(delivery.pk, now=now)
        delivery.refresh_from_db()
        now = delivery.due_at
    assert status == DeliveryStatus.FAILED
    assert delivery.error.startswith("gave up")


def test_sweep_recovers_a_delivery_whose_worker_died(workspace, fake_channel):
    _, delivery, at = schedule(workspace, fake_channel)
    assert claim(delivery.pk, now=at)  # the worker claimed it, then was killed
    assert sweep(at + timedelta(seconds=30)) == []  # still within its lease
    later = at + timedelta(minutes=5)
    assert sweep(later, grace=timedelta(0)) == [delivery.pk]
    assert run_delivery(delivery.pk, now=later) == DeliveryStatus.SENT
    assert len(FakePlatform.get("t").published) == 1


def test_sweep_does_not_fire_old_batches(workspace, fake_channel):
    _, delivery, at = schedule(workspace, fake_channel)
    assert sweep(at + timedelta(days=2)) == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "reschedule" in delivery.error
    assert FakePlatform.get("t").published == []


def test_sweep_leaves_posts_awaiting_approval_alone(workspace, fake_channel):
    at = timezone.now() + timedelta(minutes=5)
    post = compose_post(
        workspace=workspace,
        author=None,
        title="",
        body="x",
        channel_ids=[fake_channel.pk],
        at=at,
        await_approval=True,
    )
    assert sweep(at + timedelta(days=2), grace=timedelta(0)) == []
    assert post.deliveries.get().status == DeliveryStatus.SCHEDULED


def test_periodic_sweep_task_sends_what_is_overdue(workspace, fake_channel, monkeypatch):
    from rapport.publish import tasks

    _, delivery, at = schedule(workspace, fake_channel)
    monkeypatch.setattr(tasks.timezone, "now", lambda: at + timedelta(minutes=1))
    monkeypatch.setattr("rapport.publish.engine.timezone.now", lambda: at + timedelta(minutes=1))
    tasks.sweep_deliveries.call_local()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert len(FakePlatform.get("t").published) == 1
