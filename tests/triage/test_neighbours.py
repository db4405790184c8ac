"""The workspace neighbourhood: unsure items settled by the items most like them."""

from __future__ import annotations

import io

import numpy as np
import pytest

from rapport.errors import ModelError
from rapport.triage import selfadapt
from rapport.triage.classifier import DefaultClassifier
from rapport.triage.features import N_FEATURES, N_HASHED, blocks
from rapport.triage.model import INTENTS, LinearModel, load
from rapport.triage.neighbours import REFERENCE, K, Neighbourhood
from rapport.triage.prepare import prepare
from rapport.triage.types import TriageInput

CAMPAIGN = [f"hey guys check out my channel number {n} and subscribe for more" for n in range(20)]
CHAT = [
    f"the {what} part of this song on {day} still gives me goosebumps"
    for what in ("chorus", "bridge", "intro", "last")
    for day in ("Monday", "Friday", "Sunday", "holiday", "repeat")
]


def features(texts: list[str]):  # type: ignore[no-untyped-def]
    return blocks([prepare(TriageInput(key=i, text=t)) for i, t in enumerate(texts)])


def reference(keys: list[object], texts: list[str], logits: list[float]) -> Neighbourhood:
    return Neighbourhood.build(keys, features(texts).hashed(), np.array(logits))


@pytest.fixture(scope="module")
def campaign_and_chat() -> Neighbourhood:
    texts = CAMPAIGN + CHAT
    keys = [f"ref{i}" for i in range(len(texts))]
    return reference(keys, texts, [8.0] * len(CAMPAIGN) + [-8.0] * len(CHAT))


def test_an_unsure_item_leans_towards_the_items_most_like_it(campaign_and_chat):
    texts = ["check out my channel and subscribe guys", "this song on sunday gives me goosebumps"]
    spam, consulted = campaign_and_chat.smooth(features(texts), ["a", "b"], np.array([0.5, 0.5]))
    assert spam[0] > 0.9 and spam[1] < 0.1
    assert consulted[0] is not None and consulted[0].spam_like == consulted[0].neighbours == K
    assert consulted[1] is not None and consulted[1].spam_like == 0


@pytest.mark.parametrize("with_an_unsure_one", [False, True])
def test_items_the_model_is_sure_of_are_left_alone(campaign_and_chat, with_an_unsure_one):
    given = np.array([0.9999, 0.0001, 1.0, 0.0] + ([0.5] if with_an_unsure_one else []))
    texts = ["check out my channel and subscribe guys"] * len(given)
    spam, consulted = campaign_and_chat.smooth(features(texts), list("abcde")[: len(given)], given)
    assert np.array_equal(spam[:4], given[:4])  # exactly: not even a logit round trip
    assert consulted[:4] == [None] * 4
    assert (consulted[4] is not None and spam[4] > 0.9) if with_an_unsure_one else True


def test_an_item_never_counts_itself():
    texts = ["buy cheap followers at my shop today", *CHAT]
    keys = [1, *range(100, 100 + len(CHAT))]
    nb = reference(keys, texts, [10.0] + [-3.0] * len(CHAT))
    x = features(texts[:1])
    again, _ = nb.smooth(x, [1], np.array([0.5]))  # re-triaging the reference item itself
    new, _ = nb.smooth(x, [2], np.array([0.5]))  # a new item with the same words
    assert again[0] < 0.5 < new[0]


def test_keys_are_one_item_whatever_their_integer_type_and_the_newest_copy_counts():
    texts = ["buy cheap followers at my shop today", *CHAT, "buy cheap followers at my shop today"]
    keys = [7, *range(100, 100 + len(CHAT)), np.int64(7)]  # item 7 twice: its newest row counts
    nb = reference(keys, texts, [10.0] + [-3.0] * len(CHAT) + [9.0])
    assert len(nb) == len(CHAT) + 1 and nb.logits[-1] == 9.0
    again, _ = nb.smooth(features(texts[:1]), [7], np.array([0.5]))  # never asks itself
    assert again[0] < 0.5


def test_the_classifier_uses_it_and_says_so(campaign_and_chat):
    undecided = LinearModel(  # P(spam) = 0.5 for everything: only the neighbours can decide
        spam_w=np.zeros(N_FEATURES, np.float32),
        spam_b=0.0,
        intent_w=np.zeros((len(INTENTS), N_FEATURES), np.float32),
        intent_b=np.zeros(len(INTENTS), np.float32),
    )
    classifier = DefaultClassifier(undecided, neighbours=campaign_and_chat)
    spam, chat = classifier.classify_batch(
        [
            TriageInput(key="x", text="guys check out my new channel and subscribe"),
            TriageInput(key="y", text="that bridge on repeat gives me goosebumps"),
        ]
    )
    assert spam.label == "spam"
    assert f"like {K} of the {K} most similar comments in this workspace" in " ".join(spam.reasons)
    assert chat.label != "spam"
    assert not any("which look like spam" in r for r in chat.reasons)


def test_an_item_the_model_alone_would_call_spam_can_be_cleared_and_says_why(campaign_and_chat):
    leaning = LinearModel(  # P(spam) = 0.62 for everything: spam, unless the neighbours disagree
        spam_w=np.zeros(N_FEATURES, np.float32),
        spam_b=0.5,
        intent_w=np.zeros((len(INTENTS), N_FEATURES), np.float32),
        intent_b=np.zeros(len(INTENTS), np.float32),
    )
    assert (
        DefaultClassifier(leaning).classify_batch([TriageInput(key="z", text="hmm")])[0].label
        == "spam"
    )
    [chat] = DefaultClassifier(leaning, neighbours=campaign_and_chat).classify_batch(
        [TriageInput(key="y", text="that bridge on repeat gives me goosebumps")]
    )
    assert chat.label != "spam"
    assert f"but {K} of the {K} most similar comments in this workspace are not spam" in " ".join(
        chat.reasons
    )


def test_self_adaptation_keeps_the_newest_items_and_stores_them():
    base = load()
    items = [TriageInput(key=n, text=t) for n, t in enumerate(CAMPAIGN + CHAT + ["", "😀"])]
    delta = selfadapt.fit(base, items)
    assert delta.neighbours is not None and len(delta.neighbours) == len(items)
    again = selfadapt.SpamDelta.from_bytes(delta.to_bytes())
    assert again.neighbours is not None
    assert np.array_equal(again.neighbours.keys, delta.neighbours.keys)
    assert np.allclose(again.neighbours.logits, delta.neighbours.logits)
    a, b = again.neighbours.vectors, delta.neighbours.vectors
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.allclose(a.data, b.data, atol=1e-3)  # stored as float16: similarities only
    hostile = ["", "😀🔥", "<b>x</b><script>alert(1)</script>", "word " * 100_000, "http://x.biz"]
    decisions = again.classifier(base).classify_batch(
        [TriageInput(key=f"h{i}", text=t) for i, t in enumerate(hostile)]
    )
    assert all(d.reasons for d in decisions)


def test_a_blob_from_before_neighbourhoods_still_loads():
    base = load()
    old = io.BytesIO()
    np.savez_compressed(
        old,
        cols=np.array([1], np.int32),
        delta=np.array([0.5], np.float32),
        base_version=np.array(base.version),
        confident=np.array([3]),
    )
    delta = selfadapt.SpamDelta.from_bytes(old.getvalue())
    assert delta.neighbours is None
    assert delta.classifier(base).neighbours is None


@pytest.mark.parametrize(
    "damage",
    [
        {"nb_logits": np.zeros(1, np.float32)},
        {"nb_indices": np.array([N_HASHED], np.int32)},
        {"nb_indptr": np.array([0, 5], np.int64)},
        {"nb_data": np.array([np.nan], np.float16)},
        {"nb_logits": np.array([1e30, -1.0], np.float32)},  # no model says that
        {"nb_keys": np.array([1.5, 2.5])},  # keys are integers
        {"nb_indptr": np.array([0.0, 1.0, 1.0])},
        {"nb_keys": np.array(3)},  # not a list at all
        {  # far more rows than any adaptation keeps: refused before any memory is asked for
            "nb_keys": np.arange(REFERENCE + 1),
            "nb_logits": np.zeros(REFERENCE + 1, np.float32),
            "nb_indptr": np.zeros(REFERENCE + 2, np.int64),
            "nb_indices": np.zeros(0, np.int32),
            "nb_data": np.zeros(0, np.float16),
        },
    ],
)
def test_a_damaged_neighbourhood_names_the_command_that_rebuilds_it(damage):
    nb = reference([1, 2], ["one text here", "another text"], [1.0, -1.0])
    arrays = {**nb.arrays(), **damage}
    if "nb_data" in damage and len(damage["nb_data"]):
        arrays["nb_indices"] = np.array([3], np.int32)
        arrays["nb_indptr"] = np.array([0, 1, 1], np.int64)
    blob = io.BytesIO()
    np.savez_compressed(
        blob,
        cols=np.zeros(0, np.int32),
        delta=np.zeros(0, np.float32),
        base_version=np.array("v"),
        confident=np.array([0]),
        **arrays,
    )
    with pytest.raises(ModelError, match="rapport triage adapt"):
        selfadapt.SpamDelta.from_bytes(blob.getvalue())
