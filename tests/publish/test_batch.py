"""Batch delivery: chunk claims are exclusive, a killed batch is reconciled, nothing is lost."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from rapport.channels.models import ChannelStatus
from rapport.channels.services import add_channel, open_channel
from rapport.publish import batch
from rapport.publish.batch import claim_many, run_batch
from rapport.publish.engine import outbound
from rapport.publish.models import Delivery, DeliveryStatus, Post, PostStatus
from rapport.publish.sweep import sweep
from tests.publish.fixtures import SECRET


def make_deliveries(workspace, channel, n: int, *, at=None):  # type: ignore[no-untyped-def]
    at = at or timezone.now()
    posts = Post.objects.bulk_create(
        Post(workspace=workspace, title=f"P{i}", body=f"p {i}", text=f"p {i}",
             status=PostStatus.SCHEDULED, scheduled_at=at)
        for i in range(n)
    )  # fmt: skip
    deliveries = Delivery.objects.bulk_create(
        Delivery(post=p, channel=channel, body=p.text, html=f"<p>{p.text}</p>", due_at=at)
        for p in posts
    )
    return [d.pk for d in deliveries], at


@pytest.fixture
def lookup_channel(workspace, webhook_peer, allow_private):  # type: ignore[no-untyped-def]
    return add_channel(
        workspace=workspace,
        kind="webhook",
        name="Hook with lookup",
        config={"url": webhook_peer.url, "lookup_url": webhook_peer.lookup_url},
        secrets={"secret": SECRET},
    )


@pytest.mark.django_db
def test_claim_many_claims_only_what_is_still_claimable_and_due(workspace, fake_channel):
    ids, at = make_deliveries(workspace, fake_channel, 5)
    Delivery.objects.filter(pk=ids[4]).update(due_at=at + timedelta(minutes=5))
    assert sorted(claim_many(ids[:2], now=at, status=DeliveryStatus.SCHEDULED)) == ids[:2]
    # overlapping second claim: only the rows nobody holds, and never a future one
    assert sorted(claim_many(ids, now=at, status=DeliveryStatus.SCHEDULED)) == ids[2:4]
    assert claim_many(ids, now=at, status=DeliveryStatus.SCHEDULED) == []
    assert claim_many(ids, now=at, status=DeliveryStatus.UNCONFIRMED) == []
    rows = dict(Delivery.objects.filter(pk__in=ids).values_list("pk", "attempts"))
    assert [rows[pk] for pk in ids] == [1, 1, 1, 1, 0]


@pytest.mark.django_db(transaction=True)
def test_concurrent_batch_claimers_never_share_a_delivery(workspace, fake_channel):
    ids, at = make_deliveries(workspace, fake_channel, 300)
    claims: list[list[int]] = []
    errors: list[BaseException] = []

    def claimer(seed: int) -> None:
        mine: list[int] = []
        order = ids[:]
        random.Random(seed).shuffle(order)
        try:
            for start in range(0, len(order), 25):
                chunk = order[start : start + 25]
                mine += claim_many(chunk, now=at, status=DeliveryStatus.SCHEDULED)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            claims.append(mine)
            connection.close()

    threads = [threading.Thread(target=claimer, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    everything = [pk for mine in claims for pk in mine]
    assert len(everything) == len(set(everything)) == len(ids)  # each exactly once
    assert set(Delivery.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_run_batch_sends_each_once_and_publishes_the_posts(
    workspace, webhook_channel, webhook_peer
):
    ids, at = make_deliveries(workspace, webhook_channel, 60)
    results = run_batch(ids, now=at)
    assert results == dict.fromkeys(ids, DeliveryStatus.SENT)
    assert run_batch(ids, now=at) == {}  # a duplicate batch task does nothing
    keys = [r["key"] for r in webhook_peer.received]
    assert len(keys) == len(set(keys)) == 60
    assert not Post.objects.filter(deliveries__pk__in=ids).exclude(status=PostStatus.PUBLISHED)
    assert set(Delivery.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_killed_batch_is_unconfirmed_then_reconciled_not_lost_or_resent(
    workspace, lookup_channel, webhook_peer
):
    ids, at = make_deliveries(workspace, lookup_channel, 30)
    # A worker claims a chunk, sends the first two, and is killed before writing anything.
    claimed = claim_many(ids[:25], now=at, status=DeliveryStatus.SCHEDULED)
    assert sorted(claimed) == ids[:25]
    plugin = open_channel(lookup_channel)
    for pk in ids[:2]:
        plugin.publish(outbound(Delivery.objects.select_related("post").get(pk=pk)))
    assert len(webhook_peer.received) == 2

    assert set(sweep(at + timedelta(seconds=30))) == set(ids[25:])  # the claim is still leased
    assert run_batch(ids, now=at + timedelta(seconds=30)) == dict.fromkeys(
        ids[25:], DeliveryStatus.SENT
    )  # the other worker leaves the claimed chunk alone
    later = at + timedelta(minutes=5)
    assert set(sweep(later, grace=timedelta(0))) == set(ids[:25])
    assert set(Delivery.objects.filter(pk__in=ids[:25]).values_list("status", flat=True)) == {
        DeliveryStatus.UNCONFIRMED
    }

    assert run_batch(ids, now=later) == dict.fromkeys(ids[:25], DeliveryStatus.SENT)
    keys = [r["key"] for r in webhook_peer.received]
    assert len(keys) == len(set(keys)) == 30  # the two that arrived were found, not re-sent
    assert webhook_peer.lookups == 25
    sent = Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENT)
    assert sent.count() == 30
    first_two = set(sent.filter(pk__in=ids[:2]).values_list("remote_id", flat=True))
    assert all(remote.startswith("hook-") for remote in first_two)
    assert not Post.objects.filter(deliveries__pk__in=ids).exclude(status=PostStatus.PUBLISHED)


@pytest.mark.django_db
def test_batch_past_half_its_lease_gives_the_rest_back_unsent(
    workspace, webhook_channel, webhook_peer, settings
):
    ids, at = make_deliveries(workspace, webhook_channel, 5)
    settings.RAPPORT_DELIVERY_LEASE_SECONDS = 0
    assert run_batch(ids, now=at) == {}
    assert webhook_peer.received == []
    rows = Delivery.objects.filter(pk__in=ids)
    assert set(rows.values_list("status", "attempts")) == {(DeliveryStatus.SCHEDULED, 0)}


@pytest.mark.django_db
def test_batch_on_a_channel_needing_reconnect_holds(workspace, fake_channel):
    ids, at = make_deliveries(workspace, fake_channel, 3)
    type(fake_channel).objects.filter(pk=fake_channel.pk).update(
        status=ChannelStatus.NEEDS_RECONNECT, status_message="token revoked"
    )
    assert run_batch(ids, now=at) == dict.fromkeys(ids, DeliveryStatus.HELD)


@pytest.mark.django_db
def test_non_idempotent_channels_are_claimed_one_at_a_time(workspace, fake_channel, monkeypatch):
    from rapport.channels.builtin.fake import FakeChannel

    ids, at = make_deliveries(workspace, fake_channel, 4)
    monkeypatch.setattr(FakeChannel, "idempotent_publish", False, raising=False)
    sizes: list[int] = []
    real = batch.claim_many
    monkeypatch.setattr(
        batch, "claim_many", lambda chunk, **kw: sizes.append(len(chunk)) or real(chunk, **kw)
    )
    assert run_batch(ids, now=at) == dict.fromkeys(ids, DeliveryStatus.SENT)
    assert [size for size in sizes if size] == [1, 1, 1, 1]


@pytest.mark.django_db
def test_sweep_publishes_a_post_whose_worker_died_after_the_delivery_write(workspace, fake_channel):
    ids, at = make_deliveries(workspace, fake_channel, 1)
    Delivery.objects.filter(pk=ids[0]).update(status=DeliveryStatus.SENT, sent_at=at)
    sweep(at + timedelta(minutes=1))
    post = Post.objects.get(deliveries__pk=ids[0])
    assert post.status == PostStatus.PUBLISHED and post.published_at == at


@pytest.mark.django_db
def test_dispatch_hands_everything_due_to_batches(workspace, fake_channel, monkeypatch):
    from rapport.publish import tasks

    ids, at = make_deliveries(workspace, fake_channel, 7)
    monkeypatch.setattr(tasks, "BATCH", 3)
    monkeypatch.setattr(tasks.timezone, "now", lambda: at)
    tasks.dispatch_due.call_local(int(at.timestamp()))
    statuses = set(Delivery.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert statuses == {DeliveryStatus.SENT}


def test_future_deliveries_share_one_dispatch_per_second_never_early(monkeypatch):
    from datetime import UTC, datetime

    from rapport.publish import tasks

    class Store:
        immediate = False
        keys: set[str] = set()

        def put_if_empty(self, key: str, value: str) -> bool:
            if key in self.keys:
                return False
            self.keys.add(key)
            return True

    scheduled: list[tuple[tuple[int], datetime]] = []
    monkeypatch.setattr(tasks, "HUEY", Store())
    monkeypatch.setattr(
        tasks.dispatch_due, "schedule", lambda args, eta: scheduled.append((args, eta))
    )
    due = timezone.now().replace(microsecond=250_000) + timedelta(minutes=5)
    for delivery_id in range(1000):
        tasks.enqueue_delivery(delivery_id, due)
    tasks.enqueue_delivery(5000, due + timedelta(seconds=1))
    second = int(due.timestamp()) + 1
    assert scheduled == [
        ((second,), datetime.fromtimestamp(second, UTC)),
        ((second + 1,), datetime.fromtimestamp(second + 1, UTC)),
    ]
    assert scheduled[0][1] >= due
