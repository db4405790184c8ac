"""Tracked links: ``/l/<code>`` redirects and counts per day and referrer domain only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.publish.models import Click, Link
from rapport.publish.services import compose_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(workspace, fake_channel):  # type: ignore[no-untyped-def]
    post = compose_post(
        workspace=workspace,
        author=None,
        title="",
        body="[Order](https://shop.example/order?x=1)",
        channel_ids=[fake_channel.pk],
        track_links=True,
        at=timezone.now() + timedelta(hours=1),
    )
    return Link.objects.get(post=post)


def test_redirects_and_counts_by_day_and_referrer_domain(client, link):
    for referrer in ("https://www.mastodon.example/@ana/1", "https://mastodon.example/x", ""):
        response = client.get(f"/l/{link.code}", HTTP_REFERER=referrer)
        assert response.status_code == 302
        assert response["Location"] == f"https://shop.example/order?x=1&rpt={link.code}"
    counts = dict(Click.objects.filter(link=link).values_list("referrer_domain", "count"))
    assert counts == {"mastodon.example": 2, "": 1}
    assert set(Click.objects.values_list("day", flat=True)) == {timezone.localdate()}


def test_unknown_code_is_404(client, db):
    assert client.get("/l/nope").status_code == 404


def report(client, body: dict, workspace, *, secret_ok: bool = True):  # type: ignore[no-untyped-def]
    import json

    from rapport.publish.conversions import signature

    raw = json.dumps(body).encode()
    signed = signature(workspace, raw) if secret_ok else "sha256=" + "0" * 64
    return client.post(
        "/api/conversions", raw, content_type="application/json", HTTP_X_RAPPORT_SIGNATURE=signed
    )


def test_signed_conversion_is_attributed_once(client, link, workspace):
    from rapport.publish.models import Conversion

    body = {
        "workspace": "acme",
        "link": link.code,
        "id": "order-17",
        "kind": "sale",
        "value": "12.5",
        "currency": "eur",
    }
    assert report(client, body, workspace).status_code == 201
    assert report(client, body, workspace).status_code == 200  # the shop retried
    conv = Conversion.objects.get()
    assert conv.link == link and str(conv.value) == "12.50" and conv.currency == "EUR"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"workspace": "acme", "id": "1", "link": "nope"}, 422),
        ({"workspace": "acme", "link": ""}, 422),
        ({"workspace": "nope", "id": "1"}, 404),
    ],
)
def test_bad_conversion_reports(client, link, workspace, body, status):
    assert report(client, body, workspace).status_code == status


def test_unsigned_conversion_is_refused(client, link, workspace):
    from rapport.publish.models import Conversion

    body = {"workspace": "acme", "link": link.code, "id": "x"}
    assert report(client, body, workspace, secret_ok=False).status_code == 403
    assert (
        client.post("/api/conversions", b"not json", content_type="application/json").status_code
        == 422
    )
    assert not Conversion.objects.exists()


def test_the_signature_is_checked_over_the_raw_bytes(client, link, workspace):
    """Spacing and key order a JSON parser would normalise still verify: the bytes are signed."""
    from rapport.publish.conversions import signature

    raw = b'{ "id" : "order-9",\n  "workspace": "acme", "link": "%s" }' % link.code.encode()
    signed = signature(workspace, raw)
    r = client.post(
        "/api/conversions", raw, content_type="application/json", HTTP_X_RAPPORT_SIGNATURE=signed
    )
    assert r.status_code == 201 and r.json() == {"id": "order-9", "created": True}
    tampered = raw.replace(b"order-9", b"order-8")
    r = client.post(
        "/api/conversions",
        tampered,
        content_type="application/json",
        HTTP_X_RAPPORT_SIGNATURE=signed,
    )
    assert r.status_code == 403 and "X-Rapport-Signature" in r.json()["detail"]
    too_big = b'{"workspace": "acme", "pad": "' + b"x" * 10_000 + b'"}'
    assert (
        client.post("/api/conversions", too_big, content_type="application/json").status_code == 413
    )
    assert client.get("/api/conversions").status_code == 405


def test_conversions_are_in_the_openapi_description(client, db):
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/conversions"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert {"workspace", "id"} <= set(body["required"]) and "link" in body["properties"]
    assert any(p["name"] == "X-Rapport-Signature" for p in operation["parameters"])
    assert {"201", "200", "403", "404", "422"} <= set(operation["responses"])
    assert not operation.get("security")  # no token: the signature authenticates
