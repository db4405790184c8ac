"""Turning prepared items into one sparse feature matrix, fast.

Three kinds of features share one hashed space of ``N_FEATURES`` columns: word
unigrams and bigrams, character 3- to 5-grams of the lower-cased text (robust to
misspellings, leetspeak and links) and, in the last ``len(DENSE)`` columns,
hand-made numbers (links, handles, shouting, the cues, duplicates, copying).
N-grams are built with plain slicing and hashed in one call per batch, which is
several times faster than scikit-learn's per-word ``char_wb`` analyser.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from scipy import sparse
from sklearn.feature_extraction import FeatureHasher
from sklearn.preprocessing import normalize

from rapport.triage.cues import tokens
from rapport.triage.explain import links_to_post, unrelated_domains
from rapport.triage.prepare import Prepared

N_HASHED = 2**18
CHAR_SIZES = (3, 4, 5)
MAX_CHARS = 400
DENSE: tuple[str, ...] = (
    "has_link",
    "links",
    "unrelated_domains",
    "links_to_post",
    "handles",
    "upper_ratio",
    "words",
    "few_words",
    "cue_question",
    "cue_request",
    "cue_complaint",
    "cue_praise",
    "cue_promo",
    "exclamations",
    "questions",
    "length",
    "seen_exact",
    "seen_near",
    "seen_same_author",
    "author_spam_before",
    "copied",
    "long_number",
    "no_letters",
    "platform_spam",
    "on_topic",
)
N_FEATURES = N_HASHED + len(DENSE)
_DIGITS = re.compile(r"\d[\d ()+-]{7,}\d")
_SPACE = re.compile(r"\s+")
_hasher = FeatureHasher(n_features=N_HASHED, input_type="string", alternate_sign=False)


WORD_WEIGHT = 1.0


def _word_grams(p: Prepared) -> list[str]:
    words = p.tokens
    return [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]


def _char_grams(p: Prepared) -> list[str]:
    low = " " + _SPACE.sub(" ", p.clean[:MAX_CHARS].lower()) + " "
    n = len(low)
    out: list[str] = []
    for size in CHAR_SIZES:
        out += [low[i : i + size] for i in range(n - size + 1)]
    return out


def _hashed(grams: object) -> sparse.csr_matrix:
    m = _hasher.transform(grams)
    m.data[:] = 1.0
    return normalize(m, copy=False)


@lru_cache(maxsize=256)
def _topic_words(parent_text: str) -> frozenset[str]:
    return frozenset(w for w in tokens(parent_text[:20000].lower()) if len(w) >= 3)


def on_topic(p: Prepared) -> float:
    """1.0 when the comment uses words of the post it answers (it is about the post)."""
    parent = p.source.parent_text
    if not parent or not p.words:
        return 0.0
    topic = _topic_words(parent)
    hits = sum(1 for w in p.words if len(w) >= 3 and w in topic)
    return min(hits, 2) / 2


def dense_row(p: Prepared, copied: int = 0) -> list[float]:
    item = p.source
    seen = item.seen_before
    n_words = len(p.words)
    counts = [min(c, 3) / 3 for c in p.cue_counts]
    signals = item.platform_signals or {}
    return [
        float(bool(p.links)),
        min(len(p.links), 3) / 3,
        min(len(unrelated_domains(p)), 3) / 3,
        float(links_to_post(p)),
        min(len(p.handles), 3) / 3,
        p.upper_ratio if p.letters >= 8 else 0.0,
        min(n_words, 60) / 60,
        float(n_words < 4),
        *counts,
        min(p.exclamations, 5) / 5,
        min(p.questions, 3) / 3,
        math.log1p(len(p.clean)) / 8,
        float(seen is not None and seen.exact),
        float(seen is not None and not seen.exact),
        float(seen is not None and seen.same_author),
        float(bool(signals.get("author_spam_before"))),
        copied / 100,
        float(bool(_DIGITS.search(p.clean))),
        float(bool(p.clean) and p.letters == 0),
        float(bool(signals.get("spam"))),
        on_topic(p),
    ]


def matrix(prepared: Sequence[Prepared], copied: Sequence[int] | None = None) -> sparse.csr_matrix:
    """Rows of binary, L2-normalised hashed n-grams followed by the dense columns."""
    hashed = _hashed(_char_grams(p) for p in prepared)
    if WORD_WEIGHT:
        hashed = hashed + WORD_WEIGHT * _hashed(_word_grams(p) for p in prepared)
    copied = copied or [0] * len(prepared)
    dense = np.array(
        [dense_row(p, c) for p, c in zip(prepared, copied, strict=True)], dtype=np.float64
    ).reshape(len(prepared), len(DENSE))
    return sparse.hstack([hashed, sparse.csr_matrix(dense)], format="csr")
