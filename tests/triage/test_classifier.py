"""The default classifier on plain inputs: labels, flags, reasons, odd text."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.triage.classifier import DefaultClassifier
from rapport.triage.types import LABELS, SeenBefore, TriageInput


@pytest.fixture(scope="module")
def classifier() -> DefaultClassifier:
    return DefaultClassifier()


def label_of(classifier: DefaultClassifier, text: str, **kw: object) -> str:
    return classifier.classify_batch([TriageInput(key=1, text=text, **kw)])[0].label


@pytest.mark.parametrize(
    "text",
    [
        "Do you deliver to Brighton on Saturdays?",
        "My order still hasn't arrived and nobody answers my emails",
        "Please send me the invoice for March",
        "Habt ihr am Sonntag geöffnet?",
        "¿Hacen envíos a Chile?",
        "Est-ce que vous livrez à Lille ?",
    ],
)
def test_questions_requests_and_complaints_need_a_reply(classifier, text):
    assert label_of(classifier, text) == "needs_reply"


@pytest.mark.parametrize("text", ["Thanks!", "Love this ❤️", "Beautiful photos", "Merci !"])
def test_short_praise_is_appreciation_not_needs_reply(classifier, text):
    assert label_of(classifier, text) == "appreciation"


def test_self_promotion_with_links_is_spam_with_link_spam_flag(classifier):
    [d] = classifier.classify_batch(
        [TriageInput(key=1, text="Check out my channel http://bit.ly/x http://a.biz http://c.ru")]
    )
    assert d.label == "spam"
    assert "link_spam" in d.flags
    assert "3 links to unrelated domains" in d.reasons


def test_a_story_with_substance_is_conversation(classifier):
    text = (
        "I baked this with rye flour last weekend and the crumb came out denser, "
        "but my family liked the deeper flavour even more than the original"
    )
    assert label_of(classifier, text) == "conversation"


def test_language_flag_is_set(classifier):
    [d] = classifier.classify_batch([TriageInput(key=1, text="Wie lange habt ihr heute offen?")])
    assert "language:de" in d.flags


def test_duplicate_hint_becomes_flag_and_reason(classifier):
    seen = SeenBefore(seconds_earlier=3 * 3600, same_author=False)
    [d] = classifier.classify_batch([TriageInput(key=1, text="same old text", seen_before=seen)])
    assert "duplicate" in d.flags
    assert "same text as a comment 3 hours earlier by another author" in d.reasons


def test_own_items_are_not_triaged_as_incoming(classifier):
    [d] = classifier.classify_batch([TriageInput(key=1, text="Buy now!!", is_own=True)])
    assert (d.label, d.flags, d.source) == ("conversation", ("own",), "rule")


ODD = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "",
            " ",
            "😀😀😀",
            "http://a.com https://b.org www.c.net",
            "<b>x</b><script>y</script>",
            "Привет 你好 مرحبا hello",
            "\x00\ufeff\u200b",
            "a" * 1_000_000,
        ]
    ),
    st.lists(
        st.sampled_from(["<p>", "ok", "?", "http://x.io", "@bob", "🙂", "Ünïcödé"]), max_size=50
    ).map(" ".join),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=ODD, parent=st.one_of(st.just(""), st.text(max_size=200)))
def test_any_text_gets_a_decision_with_reasons(text, parent):
    classifier = DefaultClassifier()
    [d] = classifier.classify_batch([TriageInput(key=1, text=text, parent_text=parent)])
    assert d.label in LABELS
    assert 0.0 <= d.confidence <= 1.0
    assert d.reasons and all(isinstance(r, str) and r for r in d.reasons)


def test_copied_sentence_late_in_a_long_post_is_found(classifier):
    filler = "Flour, water and salt are all it takes to start. " * 200
    sentence = "Our rye loaf rests for forty hours before it ever meets the hot stone oven."
    [d] = classifier.classify_batch(
        [TriageInput(key=1, text=sentence, parent_text=filler + sentence + " The end.")]
    )
    assert "copied" in d.flags
    assert any(r.startswith("copies ") and "of a sentence of the post" in r for r in d.reasons)
