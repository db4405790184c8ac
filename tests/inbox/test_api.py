"""The items API: filters, cursor paging, detail, relabel and done; auth and roles."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.accounts.models import ApiToken
from rapport.accounts.services import create_user, create_workspace
from tests.people.factories import make_item

BASE = "/api/w/acme/items/"


def auth(user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    _, token = ApiToken.issue(user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def owner_auth(owner):  # type: ignore[no-untyped-def]
    return auth(owner)


@pytest.fixture
def viewer_auth(workspace):  # type: ignore[no-untyped-def]
    viewer, _ = create_user(email="viewer@example.com", workspace=workspace, role="viewer")
    return auth(viewer)


def post_json(client, url, data, headers):  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


def test_openapi_description_is_served(client, db):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/w/{slug}/items/" in paths and "/api/w/{slug}/people/" in paths


def test_no_token_is_401(client, workspace):
    assert client.get(BASE).status_code == 401
    assert client.get(BASE, HTTP_AUTHORIZATION="Bearer rpt_wrong").status_code == 401


def test_token_of_another_workspace_gets_404(client, workspace):
    other = create_workspace(slug="other")
    stranger, _ = create_user(email="s@example.com", workspace=other, role="owner")
    item = make_item(workspace)
    headers = auth(stranger)
    assert client.get(BASE, **headers).status_code == 404
    assert client.get(f"{BASE}{item.pk}", **headers).status_code == 404
    assert post_json(client, f"{BASE}{item.pk}/done", {}, headers).status_code == 404


def test_list_filters_by_label_state_flag_and_since(client, owner_auth, workspace):
    make_item(workspace, "old question", age=timedelta(days=10))
    make_item(workspace, "new question", age=timedelta(hours=1), flags=["language:en"])
    make_item(workspace, "spam", label="spam", flags=["link_spam"])
    make_item(workspace, "mine", is_own=True)
    make_item(workspace, "done one", state="done")

    def texts(**params: str) -> list[str]:
        response = client.get(BASE, params, **owner_auth)
        assert response.status_code == 200, response.content
        return [i["text"] for i in response.json()["items"]]

    assert texts(label="needs_reply", state="open") == ["old question", "new question"]
    assert texts(flag="link_spam") == ["spam"]
    assert texts(flag="language:en") == ["new question"]
    since = (timezone.now() - timedelta(days=2)).isoformat()
    assert "old question" not in texts(since=since)
    assert "mine" not in texts() and "mine" in texts(include_own="true")


def test_list_pages_with_a_cursor(client, owner_auth, workspace):
    for i in range(5):
        make_item(workspace, f"q{i}", age=timedelta(hours=10 - i))
    seen, cursor = [], None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        body = client.get(BASE, params, **owner_auth).json()
        seen += [i["text"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"q{i}" for i in range(5)]


def test_bad_input_is_a_clear_error(client, owner_auth, workspace):
    assert client.get(BASE, {"label": "urgent"}, **owner_auth).status_code == 422
    assert client.get(BASE, {"limit": "1000"}, **owner_auth).status_code == 422
    response = client.get(BASE, {"cursor": "%%%"}, **owner_auth)
    assert response.status_code == 422 and response.json()["field"] == "cursor"


def test_get_one_item_with_its_reasons(client, owner_auth, workspace):
    from rapport.triage.models import TriageDecision

    item = make_item(workspace, "Open on Sunday?")
    TriageDecision.objects.create(
        item=item, label="needs_reply", reasons=["asks a question"], source="model"
    )
    body = client.get(f"{BASE}{item.pk}", **owner_auth).json()
    assert body["text"] == "Open on Sunday?" and body["reasons"] == ["asks a question"]
    assert body["decided_by"] == "model"
    assert client.get(f"{BASE}999999", **owner_auth).status_code == 404


def test_editor_relabels_and_marks_done(client, workspace):
    editor, _ = create_user(email="e@example.com", workspace=workspace, role="editor")
    headers = auth(editor)
    item = make_item(workspace, label="spam")
    response = post_json(client, f"{BASE}{item.pk}/label", {"label": "needs_reply"}, headers)
    assert response.status_code == 200
    assert response.json()["label"] == "needs_reply"
    assert response.json()["decided_by"] == "owner"
    response = post_json(client, f"{BASE}{item.pk}/done", {}, headers)
    assert response.status_code == 200 and response.json()["state"] == "done"


def test_viewer_can_read_but_gets_403_on_writes(client, viewer_auth, workspace):
    item = make_item(workspace)
    assert client.get(BASE, **viewer_auth).status_code == 200
    assert (
        post_json(client, f"{BASE}{item.pk}/label", {"label": "spam"}, viewer_auth).status_code
        == 403
    )
    assert post_json(client, f"{BASE}{item.pk}/done", {}, viewer_auth).status_code == 403
    item.refresh_from_db()
    assert item.label == "needs_reply" and item.state == "open"


def test_unknown_label_in_body_is_422(client, owner_auth, workspace):
    item = make_item(workspace)
    response = post_json(client, f"{BASE}{item.pk}/label", {"label": "urgent"}, owner_auth)
    assert response.status_code == 422
