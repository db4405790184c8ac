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
        assert response["Location"] == "https://shop.example/order?x=1"
    counts = dict(Click.objects.filter(link=link).values_list("referrer_domain", "count"))
    assert counts == {"mastodon.example": 2, "": 1}
    assert set(Click.objects.values_list("day", flat=True)) == {timezone.localdate()}


def test_unknown_code_is_404(client, db):
    assert client.get("/l/nope").status_code == 404
