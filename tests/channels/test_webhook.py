"""The webhook channel against a REAL HTTP server on 127.0.0.1."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.channels.models import ChannelStatus
from rapport.channels.services import add_channel, open_channel
from rapport.errors import ValidationError
from rapport.publish.engine import run_delivery
from rapport.publish.models import DeliveryStatus
from rapport.publish.services import compose_post
from tests.publish.fixtures import *  # noqa: F403
from tests.publish.fixtures import SECRET
from tests.publish.webhook_peer import Scripted

pytestmark = pytest.mark.django_db


def due_delivery(workspace, channel):  # type: ignore[no-untyped-def]
    at = timezone.now() + timedelta(minutes=1)
    post = compose_post(
        workspace=workspace,
        author=None,
        title="Opening hours",
        body="We open at *eight*.",
        channel_ids=[channel.pk],
        at=at,
    )
    return post.deliveries.get(), at


def test_posts_signed_json_with_idempotency_key(workspace, webhook_channel, webhook_peer):
    delivery, at = due_delivery(workspace, webhook_channel)
    assert run_delivery(delivery.pk, now=at) == DeliveryStatus.SENT
    [request] = webhook_peer.received
    assert request["signed"] and webhook_peer.bad_signatures == 0
    assert request["key"] == str(delivery.idempotency_key)
    assert request["json"]["text"] == "We open at eight."
    assert request["json"]["html"] == "<p>We open at <em>eight</em>.</p>\n"
    delivery.refresh_from_db()
    assert delivery.remote_id == f"hook-{delivery.idempotency_key}"


def test_wrong_secret_is_an_auth_error_and_holds(workspace, webhook_peer, allow_private):
    channel = add_channel(
        workspace=workspace,
        kind="webhook",
        name="Wrong",
        config={"url": webhook_peer.url},
        secrets={"secret": "not-the-right-secret"},
    )
    delivery, at = due_delivery(workspace, channel)
    assert run_delivery(delivery.pk, now=at) == DeliveryStatus.HELD
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.NEEDS_RECONNECT
    assert "check the secret" in channel.status_message


def test_429_retry_after_is_honoured(workspace, webhook_channel, webhook_peer):
    webhook_peer.script.append(Scripted(status=429, headers={"Retry-After": "120"}))
    delivery, at = due_delivery(workspace, webhook_channel)
    assert run_delivery(delivery.pk, now=at) == DeliveryStatus.SCHEDULED
    delivery.refresh_from_db()
    assert delivery.due_at >= at + timedelta(seconds=120)
    assert run_delivery(delivery.pk, now=delivery.due_at) == DeliveryStatus.SENT
    assert len(webhook_peer.accepted) == 1


def test_500_is_retried_with_the_same_key(workspace, webhook_channel, webhook_peer):
    webhook_peer.script.append(Scripted(status=500, body="oops"))
    delivery, at = due_delivery(workspace, webhook_channel)
    assert run_delivery(delivery.pk, now=at) == DeliveryStatus.UNCONFIRMED
    delivery.refresh_from_db()
    assert "500" in delivery.error
    assert run_delivery(delivery.pk, now=delivery.due_at) == DeliveryStatus.SENT
    assert {r["key"] for r in webhook_peer.received} == {str(delivery.idempotency_key)}
    assert len(webhook_peer.accepted) == 1


def test_timeout_is_unconfirmed_then_reconciled_once(workspace, webhook_peer, allow_private):
    channel = add_channel(
        workspace=workspace,
        kind="webhook",
        name="Slow",
        config={"url": webhook_peer.url, "timeout": "0.3"},
        secrets={"secret": SECRET},
    )
    webhook_peer.script.append(Scripted(status=200, delay=1.0))  # receives, answers too late
    delivery, at = due_delivery(workspace, channel)
    assert run_delivery(delivery.pk, now=at) == DeliveryStatus.UNCONFIRMED
    delivery.refresh_from_db()
    assert "may have arrived" in delivery.error
    assert run_delivery(delivery.pk, now=delivery.due_at) == DeliveryStatus.SENT
    assert len(webhook_peer.received) == 2  # the same key twice ...
    assert len(webhook_peer.accepted) == 1  # ... published once


def test_other_4xx_fails_with_the_message(workspace, webhook_channel, webhook_peer):
    webhook_peer.script.append(Scripted(status=422, body="title is required"))
    delivery, at = due_delivery(workspace, webhook_channel)
    assert run_delivery(delivery.pk, now=at) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert "title is required" in delivery.error


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "http://127.0.0.1:8000/hook",
        "http://10.0.0.5/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ],
)
def test_ssrf_refused_when_adding(workspace, url):
    with pytest.raises(ValidationError):
        add_channel(
            workspace=workspace,
            kind="webhook",
            name="Bad",
            config={"url": url},
            secrets={"secret": SECRET},
        )


def test_ssrf_checked_again_at_send_time(workspace, webhook_channel, webhook_peer, settings):
    delivery, at = due_delivery(workspace, webhook_channel)
    settings.RAPPORT_ALLOW_PRIVATE_WEBHOOKS = False  # e.g. DNS now points at loopback
    assert run_delivery(delivery.pk, now=at) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert "private or loopback" in delivery.error
    assert webhook_peer.received == []


def test_public_address_is_accepted(workspace):
    channel = add_channel(
        workspace=workspace,
        kind="webhook",
        name="Public",
        config={"url": "https://93.184.215.14/hook"},
        secrets={"secret": SECRET},
    )
    assert open_channel(channel).secrets == {"secret": SECRET}
    assert SECRET not in channel.secrets_encrypted


def test_short_secret_refused(workspace):
    with pytest.raises(ValidationError, match="16 characters"):
        add_channel(
            workspace=workspace,
            kind="webhook",
            name="Weak",
            config={"url": "https://93.184.215.14/hook"},
            secrets={"secret": "short"},
        )


def test_timeout_reconciled_by_lookup_without_sending_again(workspace, webhook_peer, allow_private):
    channel = add_channel(
        workspace=workspace,
        kind="webhook",
        name="Lookup",
        config={"url": webhook_peer.url, "lookup_url": webhook_peer.lookup_url, "timeout": "0.3"},
        secrets={"secret": SECRET},
    )
    webhook_peer.script.append(Scripted(status=200, delay=1.0))
    delivery, at = due_delivery(workspace, channel)
    assert run_delivery(delivery.pk, now=at) == DeliveryStatus.UNCONFIRMED
    delivery.refresh_from_db()
    time.sleep(0.8)  # the receiver finishes handling the first request
    assert run_delivery(delivery.pk, now=delivery.due_at) == DeliveryStatus.SENT
    assert len(webhook_peer.received) == 1 and webhook_peer.lookups == 1


def test_lookup_not_found_sends_again(workspace, webhook_peer, allow_private):
    channel = add_channel(
        workspace=workspace,
        kind="webhook",
        name="Lookup",
        config={"url": webhook_peer.url, "lookup_url": webhook_peer.lookup_url},
        secrets={"secret": SECRET},
    )
    webhook_peer.script.append(Scripted(status=503))
    delivery, at = due_delivery(workspace, channel)
    assert run_delivery(delivery.pk, now=at) == DeliveryStatus.UNCONFIRMED
    delivery.refresh_from_db()
    assert run_delivery(delivery.pk, now=delivery.due_at) == DeliveryStatus.SENT
    assert webhook_peer.lookups == 1 and len(webhook_peer.accepted) == 1


def test_ssrf_checked_at_compose_time(workspace, webhook_channel, settings):
    settings.RAPPORT_ALLOW_PRIVATE_WEBHOOKS = False
    with pytest.raises(ValidationError, match="Hook: url points at a private or loopback"):
        due_delivery(workspace, webhook_channel)
