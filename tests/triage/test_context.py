"""Context without a database: links to the post, arrival order, the in-memory duplicate index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rapport.triage.datasets import arrival_order
from rapport.triage.dedupe import Entry, MemoryIndex
from rapport.triage.explain import links_to_post, unrelated_domains
from rapport.triage.prepare import prepare
from rapport.triage.types import TriageInput

VIDEO = "Katy Perry - Roar (Official) https://www.youtube.com/watch?v=CevxZvSJLk8"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def prepared(text: str, parent: str = VIDEO):  # type: ignore[no-untyped-def]
    return prepare(TriageInput(key=1, text=text, parent_text=parent))


@pytest.mark.parametrize(
    "text",
    [
        "Katy Perry - Roar (Official): http://youtu.be/CevxZvSJLk8",
        "so good https://www.youtube.com/watch?v=CevxZvSJLk8 &amp; more",
    ],
)
def test_a_link_to_the_post_itself_is_recognised(text):
    p = prepared(text)
    assert links_to_post(p)
    assert unrelated_domains(p) == []


@pytest.mark.parametrize(
    "text",
    [
        "Watch the new single www.youtube. com/watch?v=TQ046FuAu00",  # only the site's name
        "my channel: youtube.com/",
        "great http://www.youtube.com",
    ],
)
def test_a_bare_domain_of_the_posts_site_is_not_a_link_to_the_post(text):
    assert not links_to_post(prepared(text))


def test_links_to_post_needs_a_post_and_a_link():
    assert not links_to_post(prepared("http://youtu.be/CevxZvSJLk8", parent=""))
    assert not links_to_post(prepared("no link at all"))


def _video(dates: list[str | None]) -> list[TriageInput]:
    return [
        TriageInput(key=n, text="x", created_at=datetime.fromisoformat(d) if d else None)
        for n, d in enumerate(dates)
    ]


def test_arrival_order_reverses_a_newest_first_file_and_keeps_undated_rows_in_place():
    items = _video(["2015-05-03", None, "2015-05-02", None, "2015-05-01"])
    assert arrival_order(items) == [4, 3, 2, 1, 0]


def test_arrival_order_keeps_an_oldest_first_file_and_handles_no_dates():
    assert arrival_order(_video(["2015-05-01", "2015-05-02", None])) == [0, 1, 2]
    assert arrival_order(_video([None, None])) == [0, 1]
    assert arrival_order([]) == []


def test_memory_index_finds_an_earlier_exact_copy_by_another_author():
    index = MemoryIndex()
    text = "Earn money from home, ask me how, the best offer on the whole internet"
    assert index.check_and_add(Entry(1, 10, T0, text)) is None
    seen = index.check_and_add(
        Entry(2, 11, T0 + timedelta(hours=3), text.upper() + " http://x.biz")
    )
    assert seen is not None and seen.exact and not seen.same_author
    assert seen.seconds_earlier == 3 * 3600
    again = index.check_and_add(Entry(3, 10, T0 + timedelta(hours=4), text))
    assert again is not None and again.exact


def test_memory_index_finds_a_near_copy_and_ignores_unrelated_text():
    index = MemoryIndex()
    index.check_and_add(
        Entry(1, 1, T0, "I tried the sourdough recipe twice and both times the loaf came out flat")
    )
    near = index.check_and_add(
        Entry(
            2,
            2,
            T0 + timedelta(minutes=1),
            "I tried the sourdough recipe twice and both times the loaf came out flat!!",
        )
    )
    assert near is not None
    other = index.check_and_add(
        Entry(
            3,
            3,
            T0 + timedelta(minutes=2),
            "Do you deliver to Brighton on Saturdays or only in town?",
        )
    )
    assert other is None


@pytest.mark.parametrize(
    "text",
    ["", "😀😀😀🔥🔥", "<b>hi</b><script>alert(1)</script>", "word " * 200_000, "ok"],
)
def test_memory_index_takes_hostile_text_without_raising(text):
    index = MemoryIndex()
    first = index.check_and_add(Entry(1, 1, T0, text))
    second = index.check_and_add(Entry(2, 2, T0 + timedelta(seconds=1), text))
    assert first is None
    assert second is None or second.exact


def test_a_link_to_a_moment_of_the_post_is_a_link_to_the_post():
    p = prepared("best part https://www.youtube.com/watch?v=CevxZvSJLk8&t=2m19s")
    assert links_to_post(p)


@pytest.mark.parametrize(
    ("html", "links"),
    [
        ('my song <a href="http://spam.biz/x?a=1&amp;b=2">here</a>', ["http://spam.biz/x?a=1&b=2"]),
        (
            "<A HREF='https://a.example/p'>one</A> and <a href=http://b.example>two</a>",
            [
                "https://a.example/p",
                "http://b.example",
            ],
        ),
        ('<a href="javascript:alert(1)">x</a><script>alert(1)</script>', []),
        ("<a href=" + "x" * 1_000_000, []),
        ("no html at all, http://c.example", []),
        ("", []),
    ],
)
def test_addresses_of_html_links_are_links(html, links):
    from rapport.triage.text import anchor_links

    assert anchor_links(html) == links


def test_a_link_hidden_in_an_anchor_counts_for_the_features_and_reasons():
    p = prepared('Check my channel <a href="http://spam.biz/promo">click</a>', parent="")
    assert p.links == ["http://spam.biz/promo"]
    assert p.domains == ["spam.biz"]
    assert unrelated_domains(p) == ["spam.biz"]


@pytest.mark.parametrize(
    ("text", "domains"),
    [
        ("She loves Vena. trojmiasto.pl/Vena-Bus-Taxi-o59253.html", ["trojmiasto.pl"]),
        ("see sklep.it/promo now", ["sklep.it"]),  # any ending, when a path follows
        ("new shop at mysite.shop", ["mysite.shop"]),
        ("check kidsmediausa . com for kids stuff", ["kidsmediausa.com"]),  # the spaced spelling
        ("youtube . com/watch?v=abc", ["youtube.com"]),
        ("go to sub.domain.co.uk/page", ["sub.domain.co.uk"]),
        ("great song.it is on repeat", []),  # a missing space is not a link
        ("e.g. this, i.e. that, and/or version 2.0/3", []),
        ("Mr.Smith sent file.txt", []),
    ],
)
def test_bare_domains_are_links_when_they_look_like_addresses(text, domains):
    assert prepared(text).domains == domains


def test_link_finding_stays_linear_on_long_dotted_runs():
    """A DoS guard, not a speed target: an unbounded repeat took about a minute on this input
    (quadratic); bounded, it takes a fraction of a second, so the limit leaves a wide margin."""
    import time

    from rapport.triage.text import find_links, strip_noise

    hostile = "aa." * 34_000  # 102,000 characters, far past what clean() lets through
    started = time.process_time()
    find_links(hostile)
    strip_noise(hostile)
    assert time.process_time() - started < 10
