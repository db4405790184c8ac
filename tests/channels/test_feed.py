"""The workspace Atom feed: real Atom parsed back with feedparser, conditional GET."""

from __future__ import annotations

from datetime import timedelta

import feedparser
import pytest
from django.utils import timezone

from rapport.publish.engine import run_delivery
from rapport.publish.models import DeliveryStatus
from rapport.publish.services import compose_post
from tests.publish.fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db


def publish(workspace, channel, title, body, minutes=1):  # type: ignore[no-untyped-def]
    at = timezone.now() + timedelta(minutes=minutes)
    post = compose_post(
        workspace=workspace,
        author=None,
        title=title,
        body=body,
        channel_ids=[channel.pk],
        at=at,
    )
    delivery = post.deliveries.get()
    assert run_delivery(delivery.pk, now=at) == DeliveryStatus.SENT
    delivery.refresh_from_db()
    return delivery


def test_sent_posts_are_entries_of_the_atom_feed(client, workspace, feed_channel):
    first = publish(workspace, feed_channel, "Bread", "Fresh **rye** today.")
    publish(workspace, feed_channel, "Cake <b>", "Lemon cake.", minutes=2)
    response = client.get("/feeds/acme.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.feed.title == "Acme Bakery"
    assert [e.title for e in parsed.entries] == ["Cake <b>", "Bread"]
    assert parsed.entries[1].id == first.remote_id == f"urn:uuid:{first.idempotency_key}"
    assert "<strong>rye</strong>" in parsed.entries[1].content[0].value


def test_conditional_get_answers_304(client, workspace, feed_channel):
    publish(workspace, feed_channel, "Bread", "Fresh rye.")
    first = client.get("/feeds/acme.atom")
    etag, modified = first["ETag"], first["Last-Modified"]
    assert client.get("/feeds/acme.atom", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get("/feeds/acme.atom", HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    publish(workspace, feed_channel, "Cake", "Lemon.", minutes=5)
    again = client.get("/feeds/acme.atom", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and again["ETag"] != etag


def test_unsent_and_other_workspaces_posts_are_not_in_the_feed(client, workspace, feed_channel):
    compose_post(
        workspace=workspace,
        author=None,
        title="Later",
        body="Not yet.",
        channel_ids=[feed_channel.pk],
        at=timezone.now() + timedelta(days=1),
    )
    parsed = feedparser.parse(client.get("/feeds/acme.atom").content)
    assert parsed.entries == []
    assert client.get("/feeds/nope.atom").status_code == 404


def test_feed_over_loopback_http(live_server, workspace, feed_channel):
    """A feed reader polling over real HTTP gets the entry, then a 304."""
    import httpx

    publish(workspace, feed_channel, "Bread", "Fresh rye.")
    url = f"{live_server.url}/feeds/acme.atom"
    first = httpx.get(url)
    assert feedparser.parse(first.content).entries[0].title == "Bread"
    second = httpx.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 304 and second.content == b""
