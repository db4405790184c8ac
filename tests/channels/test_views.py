"""Channel pages: list with status and the fix, add (owner only), reconnect."""

from __future__ import annotations

import pytest

from rapport.channels.models import Channel, ChannelStatus
from rapport.channels.services import mark_needs_reconnect
from tests.publish.fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db


def test_owner_adds_a_feed_and_a_webhook(login_as, workspace, allow_private):
    client = login_as("owner")
    assert b"Add a channel" in client.get("/w/acme/channels/").content
    r = client.post("/w/acme/channels/add/", {"kind": "feed", "name": "Blog"})
    assert r.status_code == 302
    r = client.post(
        "/w/acme/channels/add/",
        {
            "kind": "webhook",
            "name": "Hook",
            "config_url": "http://127.0.0.1:9/x",
            "secret_secret": "a-long-enough-secret",
        },
    )
    assert r.status_code == 302
    hook = Channel.objects.get(name="Hook")
    assert hook.get_secrets() == {"secret": "a-long-enough-secret"}
    page = client.get("/w/acme/channels/").content
    assert b"/feeds/acme.atom" in page and b"a-long-enough-secret" not in page


def test_ssrf_url_is_refused_in_the_form(login_as, workspace):
    client = login_as("owner")
    r = client.post(
        "/w/acme/channels/add/",
        {
            "kind": "webhook",
            "name": "Hook",
            "config_url": "http://169.254.169.254/",
            "secret_secret": "a-long-enough-secret",
        },
    )
    assert r.status_code == 200 and b"private or loopback" in r.content
    assert not Channel.objects.exists()


def test_editor_cannot_add_channels(login_as, workspace):
    client = login_as("editor")
    assert b"Add a channel" not in client.get("/w/acme/channels/").content
    assert client.post("/w/acme/channels/add/", {"kind": "feed", "name": "B"}).status_code == 403


def test_needs_reconnect_shows_the_fix_and_reconnects(login_as, workspace, allow_private):
    client = login_as("owner")
    client.post(
        "/w/acme/channels/add/",
        {
            "kind": "webhook",
            "name": "Hook",
            "config_url": "http://127.0.0.1:9/x",
            "secret_secret": "a-long-enough-secret",
        },
    )
    hook = Channel.objects.get()
    mark_needs_reconnect(channel_id=hook.pk, message="the webhook refused the signature")
    page = client.get("/w/acme/channels/").content
    assert b"Needs reconnect" in page and b"refused the signature" in page
    client.post(f"/w/acme/channels/{hook.pk}/reconnect/", {"secret_secret": "another-long-secret!"})
    hook.refresh_from_db()
    assert hook.status == ChannelStatus.ACTIVE
    assert hook.get_secrets() == {"secret": "another-long-secret!"}
