"""Publish pages with the Django test client: roles, composer, preview, failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.channels.builtin.fake import FakePlatform
from rapport.errors import PermanentChannelError
from rapport.publish.engine import run_delivery
from rapport.publish.models import Post, PostStatus
from rapport.publish.services import compose_post

pytestmark = pytest.mark.django_db


def test_viewer_sees_posts_but_cannot_compose(login_as, workspace, fake_channel):
    client = login_as("viewer")
    page = client.get("/w/acme/publish/")
    assert page.status_code == 200
    assert b"Write once" not in page.content
    response = client.post(
        "/w/acme/publish/compose/",
        {"body": "x", "channels": [fake_channel.pk], "when": "now", "action": "schedule"},
    )
    assert response.status_code == 403
    assert not Post.objects.exists()


def test_outsider_gets_404(login_as, workspace):
    from rapport.accounts.services import create_user, create_workspace

    other = create_workspace(slug="other")
    user, _ = create_user(
        email="x@example.com", workspace=other, role="owner", password="pw pw pw 42"
    )
    client = login_as("viewer")
    client.force_login(user)
    assert client.get("/w/acme/publish/").status_code == 404


def test_editor_composes_and_is_sent_to_the_post(
    login_as, workspace, fake_channel, django_capture_on_commit_callbacks
):
    client = login_as("editor")
    assert b"Write once" in client.get("/w/acme/publish/").content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/w/acme/publish/compose/",
            {
                "title": "Rye",
                "body": "Fresh **rye**",
                "channels": [fake_channel.pk],
                "when": "now",
                "action": "schedule",
            },
        )
    post = Post.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/posts/{post.pk}/")
    assert post.status == PostStatus.PUBLISHED
    page = client.get(response["Location"])
    assert b"Sent" in page.content and b"fake-" in page.content


def test_editor_can_ask_for_approval_and_owner_approves(
    client, login_as, workspace, fake_channel, django_capture_on_commit_callbacks
):
    editor = login_as("editor")
    editor.post(
        "/w/acme/publish/compose/",
        {
            "body": "x",
            "channels": [fake_channel.pk],
            "when": "now",
            "await_approval": "on",
            "action": "schedule",
        },
    )
    post = Post.objects.get()
    assert post.status == PostStatus.AWAITING_APPROVAL
    assert editor.post(f"/w/acme/publish/posts/{post.pk}/approve/").status_code == 403
    owner = login_as("owner")
    assert b"Approve and queue" in owner.get(f"/w/acme/publish/posts/{post.pk}/").content
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(f"/w/acme/publish/posts/{post.pk}/approve/")
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED


def test_past_time_shows_a_clear_error_in_the_form(login_as, workspace, fake_channel):
    client = login_as("editor")
    past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/w/acme/publish/compose/",
        {
            "body": "x",
            "channels": [fake_channel.pk],
            "when": "at",
            "at": past,
            "action": "schedule",
        },
    )
    assert response.status_code == 200
    assert b"is in the past" in response.content
    assert not Post.objects.exists()


def test_preview_shows_each_variant_full_page_and_htmx_partial(
    login_as, workspace, fake_channel, feed_channel
):
    client = login_as("editor")
    data = {
        "body": "Fresh **rye** " + "a" * 600,
        "channels": [fake_channel.pk, feed_channel.pk],
        "when": "now",
        "action": "preview",
    }
    page = client.post("/w/acme/publish/compose/", data)
    assert page.status_code == 200 and b"<html" in page.content
    assert b"too long" in page.content and b"<strong>rye</strong>" in page.content
    partial = client.post("/w/acme/publish/compose/", data, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b'id="preview"' in partial.content
    assert not Post.objects.exists()


def test_failure_is_listed_and_links_to_its_post(login_as, workspace, fake_channel):
    at = timezone.now() + timedelta(minutes=1)
    post = compose_post(
        workspace=workspace,
        author=None,
        title="Menu",
        body="x",
        channel_ids=[fake_channel.pk],
        at=at,
    )
    FakePlatform.get("t").fail_next(PermanentChannelError("422: status is a duplicate"))
    run_delivery(post.deliveries.get().pk, now=at)
    page = login_as("viewer").get("/w/acme/publish/").content.decode()
    assert "Needs your attention" in page
    assert f'href="/w/acme/publish/posts/{post.pk}/"' in page
    assert "422: status is a duplicate" in page


def test_xss_in_a_post_is_escaped(login_as, workspace, feed_channel):
    client = login_as("editor")
    data = {
        "title": "<script>alert(1)</script>",
        "body": "<img src=x onerror=alert(1)> [x](javascript:alert(1))",
        "channels": [feed_channel.pk],
        "when": "now",
        "action": "preview",
    }
    page = client.post("/w/acme/publish/compose/", data).content.decode()
    assert "<img src=x" not in page and 'href="javascript:' not in page


def test_post_page_shows_clicks_and_conversions_and_owner_sees_the_secret(
    login_as, workspace, fake_channel, client
):
    from rapport.publish.conversions import conversion_secret
    from rapport.publish.models import Link

    post = compose_post(
        workspace=workspace,
        author=None,
        title="Menu",
        body="[Order](https://shop.example/o)",
        channel_ids=[fake_channel.pk],
        track_links=True,
        at=timezone.now() + timedelta(hours=1),
    )
    code = Link.objects.get().code
    client.get(f"/l/{code}")
    owner = login_as("owner")
    page = owner.get(f"/w/acme/publish/posts/{post.pk}/").content.decode()
    assert f"/l/{code}" in page and "<td>1</td>" in page
    assert conversion_secret(workspace) in owner.get("/w/acme/publish/").content.decode()
    viewer = login_as("viewer")
    assert conversion_secret(workspace) not in viewer.get("/w/acme/publish/").content.decode()
