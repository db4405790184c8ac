"""Link cards read from a real HTTP server on 127.0.0.1: what is read, and every way it gives up."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from rapport.publish import cards
from rapport.publish.cards import fetch_card, first_link
from tests.peers.http import Answer, Replay
from tests.publish.images import HTML_AS_PNG, png

HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def site(settings: Any) -> Iterator[Replay]:
    settings.RAPPORT_ALLOW_PRIVATE_WEBHOOKS = True  # the site is on 127.0.0.1
    with Replay() as server:
        yield server


def page(head: str) -> str:
    return f"<!doctype html><html><head>{head}</head><body><p>Hello</p></body></html>"


def test_opengraph_tags_win_and_the_picture_is_checked_as_an_image(site):
    picture = png(120, 63)
    site.route(
        "GET",
        "/a",
        lambda r: Answer(
            200,
            HTML,
            page(
                "<title>Page title</title>"
                '<meta property="og:title" content="  Our   rye  ">'
                '<meta name="description" content="Plain description">'
                '<meta property="og:image" content="img/rye.png">'
            ),
        ),
    )
    site.route("GET", "/img/rye.png", lambda r: Answer(200, {"Content-Type": "image/png"}, picture))
    card, thumb = fetch_card(f"{site.url}/a")
    assert card == {"uri": f"{site.url}/a", "title": "Our rye", "description": "Plain description"}
    assert thumb is not None and thumb.data == picture and thumb.content_type == "image/png"


def test_the_title_element_is_the_fallback_and_a_bad_picture_is_dropped(site):
    site.route(
        "GET",
        "/b",
        lambda r: Answer(
            200,
            HTML,
            page('<title>Rye &amp; spelt</title><meta property="og:image" content="/x.png">'),
        ),
    )
    site.route("GET", "/x.png", lambda r: Answer(200, {"Content-Type": "image/png"}, HTML_AS_PNG))
    card, thumb = fetch_card(f"{site.url}/b")
    assert card["title"] == "Rye & spelt" and card["description"] == "" and thumb is None


def test_redirects_are_followed_a_few_times_only(site):
    site.route("GET", "/old", lambda r: Answer(301, {"Location": "/new"}, b""))
    site.route("GET", "/new", lambda r: Answer(200, HTML, page("<title>New</title>")))
    assert fetch_card(f"{site.url}/old")[0]["title"] == "New"
    site.route("GET", "/loop", lambda r: Answer(302, {"Location": "/loop"}, b""))
    assert fetch_card(f"{site.url}/loop") == ({}, None)


def test_a_redirect_to_a_private_address_is_refused_by_the_guard(site, settings):
    """With the guard on, even the first hop to 127.0.0.1 is refused: nothing is requested."""
    settings.RAPPORT_ALLOW_PRIVATE_WEBHOOKS = False
    site.route("GET", "/a", lambda r: Answer(200, HTML, page("<title>A</title>")))
    assert fetch_card(f"{site.url}/a") == ({}, None)
    assert site.requests == []
    assert fetch_card("file:///etc/passwd") == ({}, None)


def test_only_the_first_part_of_a_huge_page_is_read(site):
    filler = "<!--" + "x" * cards.MAX_PAGE_BYTES + "-->"
    huge = page(f'<title>Early</title>{filler}<meta property="og:title" content="Late">')
    site.route("GET", "/huge", lambda r: Answer(200, HTML, huge))
    card, _ = fetch_card(f"{site.url}/huge")
    assert card["title"] == "Early"  # the tag past the limit was never read


def test_errors_other_content_and_slow_pages_give_no_card(site, monkeypatch):
    site.route("GET", "/500", lambda r: Answer(500, HTML, b"oops"))
    site.route("GET", "/pdf", lambda r: Answer(200, {"Content-Type": "application/pdf"}, b"%PDF"))

    def slow(request: Any) -> Answer:
        time.sleep(1.5)
        return Answer(200, HTML, page("<title>late</title>"))

    site.route("GET", "/slow", slow)
    monkeypatch.setattr(cards, "TIMEOUT", 0.5)
    for path in ("/500", "/pdf", "/slow", "/missing"):
        assert fetch_card(f"{site.url}{path}") == ({}, None), path


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("See https://shop.example/rye.", "https://shop.example/rye"),
        ("(https://shop.example/a_(b)) and http://x.example", "https://shop.example/a_(b)"),
        ("no link here", ""),
    ],
)
def test_first_link(text: str, link: str):
    assert first_link(text) == link


@pytest.mark.django_db
def test_a_bluesky_delivery_pins_the_card_at_compose_and_the_api_shows_it(
    site, client, api_as, workspace, settings, tmp_path
):
    import json

    from rapport.channels.services import add_channel

    settings.MEDIA_ROOT = tmp_path
    site.route(
        "GET",
        "/rye",
        lambda r: Answer(
            200,
            HTML,
            page(
                '<meta property="og:title" content="Rye"><meta property="og:image" content="/p.png">'
            ),
        ),
    )
    site.route("GET", "/p.png", lambda r: Answer(200, {"Content-Type": "image/png"}, png(40, 20)))
    sky = add_channel(
        workspace=workspace,
        kind="bluesky",
        name="Sky",
        config={"handle": "shop.test", "service": "http://127.0.0.1:9"},
        secrets={"app_password": "x"},
    )
    feed = add_channel(workspace=workspace, kind="feed", name="Feed", config={}, secrets={})
    body = {
        "body": f"New: [our rye]({site.url}/rye)",
        "channels": [sky.pk, feed.pk],
        "track_links": True,
    }
    r = client.post(
        "/api/w/acme/posts/", json.dumps(body), content_type="application/json", **api_as("editor")
    )
    assert r.status_code == 201, r.content
    cards_by_channel = {d["channel"]: d["card"] for d in r.json()["deliveries"]}
    assert cards_by_channel["Feed"] == {}  # only channels that show cards read one
    card = cards_by_channel["Sky"]
    assert card["title"] == "Rye" and card["has_picture"] is True
    assert "/l/" in card["uri"]  # the tracked link, so a click on the card counts
    assert sum(1 for req in site.requests if req.path == "/rye") == 1
