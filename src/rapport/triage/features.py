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
from dataclasses import dataclass
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
_MULT = np.uint64(1_000_003)
_MIX = np.uint64(0xFF51AFD7ED558CCD)
_hasher = FeatureHasher(n_features=N_HASHED, input_type="string", alternate_sign=False)


WORD_WEIGHT = 1.0


def _word_grams(p: Prepared) -> list[str]:
    words = p.tokens
    return [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]


def _char_blocks(prepared: Sequence[Prepared]) -> list[sparse.csr_matrix]:
    """Hashed character n-grams, one CSR matrix per n-gram size, built without sorting.

    All texts are joined with NUL separators into one array of code points; a
    polynomial hash of every window of each size is computed with numpy at once
    and windows that cross a separator are dropped. Windows come out in row
    order, so each size's CSR matrix is assembled directly (duplicates are left
    in: a repeated n-gram counts again). Each occurrence weighs
    1/sqrt(occurrences in the row), so a row has unit length in count terms.
    About 3 µs an item, where building n-gram strings in Python cost 60 µs.
    """
    n_rows = len(prepared)
    texts = [
        " " + _SPACE.sub(" ", p.clean[:MAX_CHARS].lower().replace("\x00", " ")) + " "
        for p in prepared
    ]
    big = "\x00".join(texts) + "\x00"
    codes = np.frombuffer(big.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(
        np.uint64
    )
    seps = np.concatenate([[0], np.cumsum(codes == 0)])  # seps[i]: separators before i
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    total = len(codes)
    for size in CHAR_SIZES:
        n = total - size + 1
        if n <= 0:
            continue
        h = np.full(n, np.uint64(size * 0x9E3779B1))
        for k in range(size):
            h = h * _MULT + codes[k : k + n]
        valid = seps[size : size + n] == seps[:n]
        h = h[valid]
        h ^= h >> np.uint64(29)
        h *= _MIX
        h ^= h >> np.uint64(32)
        parts.append((seps[:n][valid], (h % np.uint64(N_HASHED)).astype(np.int32)))
    counts = [np.bincount(rows, minlength=n_rows) for rows, _ in parts]
    per_row = np.maximum(sum(counts, np.zeros(n_rows, dtype=np.int64)), 1)
    weight = 1.0 / np.sqrt(per_row)
    out = []
    for (rows, cols), count in zip(parts, counts, strict=True):
        indptr = np.concatenate([[0], np.cumsum(count)])
        out.append(
            sparse.csr_matrix((weight[rows], cols, indptr), shape=(n_rows, N_HASHED), copy=False)
        )
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


@dataclass(frozen=True)
class Blocks:
    """The features of a batch in pieces that a linear model can apply separately."""

    chars: list[sparse.csr_matrix]
    words: sparse.csr_matrix
    dense: np.ndarray

    def dot(self, hashed_w: np.ndarray, dense_w: np.ndarray) -> np.ndarray:
        """``X @ W`` with W split into its hashed (C-contiguous float64) and dense rows.

        Big batches use scipy's C loop; a handful of items gathers only the
        weight rows they use (cheaper than touching all 2**18 rows).
        """
        n = self.dense.shape[0]
        out = self.dense @ dense_w
        parts = ((self.words, WORD_WEIGHT), *((c, 1.0) for c in self.chars))
        if n >= 32:
            for block, scale in parts:
                out += (block @ hashed_w) * scale
            return out
        for block, scale in parts:
            if block.nnz:
                rows = np.repeat(np.arange(n), np.diff(block.indptr))
                contrib = hashed_w[block.indices] * (block.data * scale)[:, None]
                for j in range(out.shape[1]):
                    out[:, j] += np.bincount(rows, weights=contrib[:, j], minlength=n)
        return out

    def hashed(self, rows: np.ndarray | None = None) -> sparse.csr_matrix:
        """The n-gram columns of the batch (or of ``rows`` of it) as one CSR matrix."""
        pick = (lambda m: m) if rows is None else (lambda m: m[rows])
        out = pick(self.words) * WORD_WEIGHT
        for block in self.chars:
            out = out + pick(block)
        return sparse.csr_matrix(out)

    def matrix(self) -> sparse.csr_matrix:
        """One canonical CSR matrix, for fitting."""
        return sparse.hstack([self.hashed(), sparse.csr_matrix(self.dense)], format="csr")


def blocks(prepared: Sequence[Prepared], copied: Sequence[int] | None = None) -> Blocks:
    copied = copied or [0] * len(prepared)
    dense = np.array(
        [dense_row(p, c) for p, c in zip(prepared, copied, strict=True)], dtype=np.float64
    ).reshape(len(prepared), len(DENSE))
    return Blocks(_char_blocks(prepared), _hashed(_word_grams(p) for p in prepared), dense)


def matrix(prepared: Sequence[Prepared], copied: Sequence[int] | None = None) -> sparse.csr_matrix:
    """Rows of hashed n-grams followed by the dense columns, as one matrix."""
    return blocks(prepared, copied).matrix()
