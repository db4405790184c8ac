"""Posts in the JSON API: create/schedule (editor), list and get (viewer)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.publish.models import Post

pytestmark = pytest.mark.django_db


def post_json(client, headers, data):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/w/acme/posts/", json.dumps(data), content_type="application/json", **headers
    )


def test_editor_schedules_a_post(client, api_as, fake_channel):
    at = (timezone.now() + timedelta(hours=3)).isoformat()
    r = post_json(
        client,
        api_as("editor"),
        {"title": "Rye", "body": "Fresh *rye*", "channels": [fake_channel.pk], "at": at},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "scheduled" and body["text"] == "Fresh rye"
    [delivery] = body["deliveries"]
    assert delivery["channel"] == "Fake" and delivery["status"] == "scheduled"
    listed = client.get("/api/w/acme/posts/", **api_as("viewer")).json()
    assert [p["id"] for p in listed] == [body["id"]]
    one = client.get(f"/api/w/acme/posts/{body['id']}", **api_as("viewer"))
    assert one.json()["deliveries"][0]["id"] == delivery["id"]


def test_viewer_cannot_create(client, api_as, fake_channel):
    r = post_json(client, api_as("viewer"), {"body": "x", "channels": [fake_channel.pk]})
    assert r.status_code == 403
    assert not Post.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"body": "x", "channels": [], "at": "now"}, "channels"),
        ({"body": "x", "at": "2020-01-01T00:00:00+00:00"}, "at"),
        ({"body": "x" * 501}, "variant"),
    ],
)
def test_bad_input_is_422_with_the_field(client, api_as, fake_channel, data, field):
    data = {"channels": [fake_channel.pk]} | data
    r = post_json(client, api_as("editor"), data)
    assert r.status_code == 422
    assert r.json()["field"].startswith(field)


def test_unknown_post_is_404_and_no_token_is_401(client, api_as, workspace):
    assert client.get("/api/w/acme/posts/999", **api_as("viewer")).status_code == 404
    assert client.get("/api/w/acme/posts/").status_code == 401
