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
