"""Composing, scheduling, approvals and variants, with tasks in huey immediate mode."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.channels.builtin.fake import FakePlatform
from rapport.channels.services import add_channel, mark_needs_reconnect
from rapport.errors import ValidationError
from rapport.publish.models import DeliveryStatus, Link, PostStatus
from rapport.publish.services import approve_post, compose_post, retry_delivery

pytestmark = pytest.mark.django_db


def test_now_is_delivered_when_the_transaction_commits(
    workspace, fake_channel, feed_channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post = compose_post(
            workspace=workspace,
            author=None,
            title="Hi",
            body="Hello *there*",
            channel_ids=[fake_channel.pk, feed_channel.pk],
            at="now",
        )
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert {d.status for d in post.deliveries.all()} == {DeliveryStatus.SENT}
    assert FakePlatform.get("t").published[0].text == "Hello there"


def test_nothing_is_queued_before_commit(
    workspace, fake_channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        compose_post(
            workspace=workspace, author=None, title="", body="x", channel_ids=[fake_channel.pk]
        )
    assert len(callbacks) == 1
    assert FakePlatform.get("t").published == []


def test_future_post_waits_with_due_at(workspace, fake_channel):
    at = timezone.now() + timedelta(hours=2)
    post = compose_post(
        workspace=workspace, author=None, title="", body="x", channel_ids=[fake_channel.pk], at=at
    )
    delivery = post.deliveries.get()
    assert delivery.due_at == at and delivery.status == DeliveryStatus.SCHEDULED
    assert post.scheduled_at == at


def test_time_in_the_past_is_refused(workspace, fake_channel):
    with pytest.raises(ValidationError, match="in the past") as exc:
        compose_post(
            workspace=workspace,
            author=None,
            title="",
            body="x",
            channel_ids=[fake_channel.pk],
            at=timezone.now() - timedelta(hours=1),
        )
    assert exc.value.field == "at"


def test_too_long_for_a_channel_is_refused_at_compose_time(workspace, fake_channel, monkeypatch):
    from rapport.channels.builtin.fake import FakeChannel

    monkeypatch.setattr(FakeChannel, "can_thread", False)
    with pytest.raises(ValidationError, match="too long for Fake: 501 of 500"):
        compose_post(
            workspace=workspace,
            author=None,
            title="",
            body="a " * 250 + "b",
            channel_ids=[fake_channel.pk],
        )


def test_a_variant_can_be_edited_per_channel(workspace, fake_channel, feed_channel):
    post = compose_post(
        workspace=workspace,
        author=None,
        title="Long",
        body="word " * 200,
        channel_ids=[fake_channel.pk, feed_channel.pk],
        variants={fake_channel.pk: "Short version for the fake platform"},
        at=timezone.now() + timedelta(hours=1),
    )
    bodies = {d.channel_id: d.body for d in post.deliveries.all()}
    assert bodies[fake_channel.pk] == "Short version for the fake platform"
    assert len(bodies[feed_channel.pk]) > 500


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"body": "  "}, "empty"),
        ({"channel_ids": []}, "at least one channel"),
        ({"channel_ids": [999]}, "no such channel"),
    ],
)
def test_bad_input_is_refused(workspace, fake_channel, kwargs, message):
    args = {"body": "x", "channel_ids": [fake_channel.pk]} | kwargs
    with pytest.raises(ValidationError, match=message):
        compose_post(workspace=workspace, author=None, title="", **args)


def test_a_channel_needing_reconnect_is_refused(workspace, fake_channel):
    mark_needs_reconnect(channel_id=fake_channel.pk, message="token revoked")
    with pytest.raises(ValidationError, match="reconnecting first: token revoked"):
        compose_post(
            workspace=workspace, author=None, title="", body="x", channel_ids=[fake_channel.pk]
        )


def test_other_workspaces_channels_cannot_be_used(workspace, fake_channel):
    from rapport.accounts.services import create_workspace

    other = create_workspace(slug="other")
    theirs = add_channel(workspace=other, kind="fake", name="Theirs", config={}, secrets={})
    with pytest.raises(ValidationError, match="no such channel"):
        compose_post(workspace=workspace, author=None, title="", body="x", channel_ids=[theirs.pk])


def test_editor_post_waits_for_approval(
    workspace, fake_channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post = compose_post(
            workspace=workspace,
            author=None,
            title="",
            body="x",
            channel_ids=[fake_channel.pk],
            await_approval=True,
        )
    assert post.status == PostStatus.AWAITING_APPROVAL
    assert FakePlatform.get("t").published == []
    with django_capture_on_commit_callbacks(execute=True):
        approve_post(post=post)
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert len(FakePlatform.get("t").published) == 1
    with pytest.raises(ValidationError, match="not awaiting approval"):
        approve_post(post=post)


def test_links_are_tracked_in_every_variant(workspace, fake_channel, client):
    post = compose_post(
        workspace=workspace,
        author=None,
        title="",
        body="See [the menu](https://bakery.example/menu) and [again](https://bakery.example/menu).",
        channel_ids=[fake_channel.pk],
        track_links=True,
        at=timezone.now() + timedelta(hours=1),
    )
    link = Link.objects.get(post=post)
    assert f"/l/{link.code}" in post.deliveries.get().body
    assert "bakery.example" not in post.deliveries.get().body


def test_retry_failed_delivery_keeps_its_key(
    workspace, fake_channel, django_capture_on_commit_callbacks
):
    from rapport.errors import PermanentChannelError
    from rapport.publish.engine import run_delivery

    at = timezone.now() + timedelta(minutes=1)
    post = compose_post(
        workspace=workspace, author=None, title="", body="x", channel_ids=[fake_channel.pk], at=at
    )
    delivery = post.deliveries.get()
    FakePlatform.get("t").fail_next(PermanentChannelError("account suspended"))
    assert run_delivery(delivery.pk, now=at) == DeliveryStatus.FAILED
    key = delivery.idempotency_key
    delivery.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        retry_delivery(delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.idempotency_key == key


def test_owner_resolves_an_unconfirmed_delivery(
    workspace, fake_channel, django_capture_on_commit_callbacks
):
    from rapport.errors import TemporaryChannelError
    from rapport.publish.engine import run_delivery
    from rapport.publish.services import resolve_unconfirmed

    at = timezone.now() + timedelta(minutes=1)
    post = compose_post(
        workspace=workspace, author=None, title="", body="x", channel_ids=[fake_channel.pk], at=at
    )
    delivery = post.deliveries.get()
    FakePlatform.get("t").fail_next(TemporaryChannelError("connection reset"))
    assert run_delivery(delivery.pk, now=at) == DeliveryStatus.UNCONFIRMED
    resolve_unconfirmed(delivery=delivery, published=True)
    delivery.refresh_from_db()
    post.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and post.status == PostStatus.PUBLISHED
    with pytest.raises(ValidationError, match="no longer unconfirmed"):
        resolve_unconfirmed(delivery=delivery, published=False)
    assert FakePlatform.get("t").published == []


def test_too_long_for_a_threading_channel_becomes_a_thread(workspace, fake_channel):
    from rapport.publish.engine import run_delivery

    body = " ".join(f"Sentence number {i} about fresh bread." for i in range(40))
    at = timezone.now() + timedelta(minutes=1)
    post = compose_post(
        workspace=workspace, author=None, title="", body=body, channel_ids=[fake_channel.pk], at=at
    )
    delivery = post.deliveries.get()
    assert len(delivery.parts) == 4
    assert all(len(p) <= 500 for p in delivery.parts)
    assert delivery.parts[0].endswith(" 1/4") and delivery.parts[-1].endswith(" 4/4")
    run_delivery(delivery.pk, now=at)
    [sent] = FakePlatform.get("t").published
    assert sent.parts == tuple(delivery.parts)


def test_a_word_too_long_for_any_part_is_refused(workspace, fake_channel):
    with pytest.raises(ValidationError, match="cannot be split into a thread"):
        compose_post(
            workspace=workspace,
            author=None,
            title="",
            body="see https://example.com/" + "x" * 600,
            channel_ids=[fake_channel.pk],
        )
