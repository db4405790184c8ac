"""The workspace's nearest items: a second opinion on the comments the model is unsure of.

Spam comes in campaigns and every community has its own small talk, so a comment
the model cannot decide about is usually settled by the comments that look most
like it in the same workspace. A :class:`Neighbourhood` keeps the newest
``REFERENCE`` items of a workspace as row-normalised hashed n-gram vectors (the
model's own word and character features) with the spam logit the self-adapted
model gave each. An item whose spam logit is within ``±UNSURE`` gets
``(1 - WEIGHT) · its logit + WEIGHT · the similarity-weighted mean logit of its
K most similar reference items`` (never itself); items the model is sure of are
left alone, which also keeps the cost to the uncertain few.

It is fitted with the self-adaptation (``rapport triage adapt``) and stored in
the same blob: only hashed columns and numbers, never text. Measured on the
YouTube Spam Collection (docs/benchmarks.md): K and WEIGHT were picked by an
inner leave-one-video-out on the training videos, which chose WEIGHT = 0.35 in
all five outer folds and K = 5, 10 or 20 (10 twice); ``UNSURE`` does not change
a figure there and was set for speed.
"""

from __future__ import annotations

import hashlib
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from rapport.errors import ModelError
from rapport.triage.features import N_HASHED, Blocks

K = 10
WEIGHT = 0.35
UNSURE = 6.0
REFERENCE = 1000  # newest items kept; bounds size (~1 MB) and cost (~60 µs an unsure item)
MAX_LOGIT = 50.0  # stored logits beyond this are not the model's: a damaged blob
MAX_NNZ_PER_ROW = 4096  # a row has at most ~3 x 400 character n-grams plus its words
_REFIT = "refit it with `rapport triage adapt --workspace SLUG`"


def key_id(key: Any) -> int:
    """A stable 64-bit id for an item key (item ids in the desk, any value in a bench).

    Integral keys hash as Python ints, so numpy's ``int64(5)`` and ``5`` are one item.
    """
    if isinstance(key, numbers.Integral) and not isinstance(key, bool):
        key = int(key)
    digest = hashlib.blake2b(repr(key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def _unit_rows(m: sparse.csr_matrix) -> sparse.csr_matrix:
    """Rows scaled to unit length, as float32 (sklearn's ``normalize`` without its checks)."""
    m = sparse.csr_matrix(m).astype(np.float32)  # a copy: the caller's matrix is left alone
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    m.data /= np.repeat(np.where(norms > 0, norms, 1.0), np.diff(m.indptr)).astype(np.float32)
    return m


@dataclass(frozen=True)
class Consulted:
    """What an item's neighbours said: how many of them, how many look like spam, and
    whether the model alone would have called the item spam."""

    neighbours: int
    spam_like: int
    model_said_spam: bool = False


_KINDS = {"keys": "iu", "indptr": "iu", "indices": "iu", "data": "f", "logits": "f"}


@dataclass(frozen=True)
class Neighbourhood:
    keys: np.ndarray  # int64 ``key_id`` of each reference row (an item never counts itself)
    vectors: sparse.csr_matrix  # (n, N_HASHED) float32, rows of unit length
    logits: np.ndarray  # float32 spam logits the adapted model gave them

    @classmethod
    def build(
        cls, keys: Sequence[Any], hashed: sparse.csr_matrix, logits: np.ndarray
    ) -> Neighbourhood:
        """The newest ``REFERENCE`` rows (inputs are oldest first), one per key (its newest)."""
        ids = [key_id(k) for k in keys]
        rows: list[int] = []
        seen: set[int] = set()
        for row in range(len(ids) - 1, -1, -1):
            if ids[row] not in seen:
                seen.add(ids[row])
                rows.append(row)
                if len(rows) == REFERENCE:
                    break
        rows.reverse()
        picked = np.array(rows, dtype=np.int64)
        return cls(
            keys=np.array([ids[r] for r in rows], dtype=np.int64),
            vectors=_unit_rows(sparse.csr_matrix(hashed)[picked]),
            logits=np.clip(np.asarray(logits, dtype=np.float32)[picked], -MAX_LOGIT, MAX_LOGIT),
        )

    def __len__(self) -> int:
        return len(self.keys)

    def smooth(
        self, features: Blocks, keys: Sequence[object], spam: np.ndarray
    ) -> tuple[np.ndarray, list[Consulted | None]]:
        """New P(spam) for the batch, and what each consulted item's neighbours said."""
        consulted: list[Consulted | None] = [None] * len(spam)
        logit = np.log(np.clip(spam, 1e-12, 1.0)) - np.log(np.clip(1.0 - spam, 1e-12, 1.0))
        unsure = np.flatnonzero(np.abs(logit) <= UNSURE)
        if not len(unsure) or len(self) < 2:
            return spam, consulted
        rows = _unit_rows(features.hashed(unsure))
        sim = (rows @ self._by_column).toarray()
        own = self._positions
        at = np.array([own.get(key_id(keys[int(row)]), -1) for row in unsure])
        itself = np.flatnonzero(at >= 0)
        sim[itself, at[itself]] = -1.0
        k = min(K, len(self) - 1)
        nearest = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        weight = np.take_along_axis(sim, nearest, 1).clip(0.0)
        total = weight.sum(axis=1)
        theirs = self.logits[nearest]
        mean = (weight * theirs).sum(axis=1) / np.maximum(total, 1e-9)
        some = total > 0
        moved = unsure[some]
        new = (1 - WEIGHT) * logit[moved] + WEIGHT * mean[some]
        out = spam.copy()  # items not consulted keep their probability exactly
        out[moved] = 1.0 / (1.0 + np.exp(-new))
        close = weight > 0
        n_close = close.sum(axis=1).tolist()
        n_spam = (close & (theirs >= 0)).sum(axis=1).tolist()
        for i in np.flatnonzero(some).tolist():
            row = unsure[i]
            consulted[row] = Consulted(n_close[i], n_spam[i], bool(logit[row] >= 0))
        return out, consulted

    @property
    def _by_column(self) -> sparse.csr_matrix:
        cached: sparse.csr_matrix | None = self.__dict__.get("_t")
        if cached is None:
            cached = self.vectors.T.tocsr()
            object.__setattr__(self, "_t", cached)
        return cached

    @property
    def _positions(self) -> Mapping[int, int]:
        cached: dict[int, int] | None = self.__dict__.get("_p")
        if cached is None:
            cached = {int(k): i for i, k in enumerate(self.keys)}
            object.__setattr__(self, "_p", cached)
        return cached

    def arrays(self) -> dict[str, np.ndarray]:
        """What goes into the self-adaptation's npz (float16 values: similarities only)."""
        v = self.vectors
        return {
            "nb_keys": self.keys,
            "nb_indptr": v.indptr.astype(np.int64),
            "nb_indices": v.indices.astype(np.int32),
            "nb_data": v.data.astype(np.float16),
            "nb_logits": self.logits.astype(np.float32),
        }

    @classmethod
    def from_arrays(cls, npz: Mapping[str, np.ndarray]) -> Neighbourhood | None:
        """The stored neighbourhood, None for a blob written before there was one."""
        if "nb_keys" not in npz:
            return None
        wrong = ModelError(f"a workspace's neighbourhood has the wrong shape; {_REFIT}")
        raw = {name: np.asarray(npz[f"nb_{name}"]) for name in _KINDS}
        if any(raw[name].dtype.kind not in kinds for name, kinds in _KINDS.items()):
            raise wrong
        if any(raw[name].ndim != 1 for name in _KINDS):
            raise wrong
        keys = raw["keys"].astype(np.int64)
        indptr = raw["indptr"].astype(np.int64)
        indices = raw["indices"].astype(np.int64)
        data = raw["data"].astype(np.float32)
        logits = raw["logits"].astype(np.float32)
        n = len(keys)
        if n > REFERENCE or len(indices) > n * MAX_NNZ_PER_ROW:
            raise wrong  # bounds the memory a damaged (or hostile) blob can ask for
        if (
            logits.shape != (n,)
            or indptr.shape != (n + 1,)
            or indptr[0] != 0
            or indptr[-1] != len(indices)
            or np.any(np.diff(indptr) < 0)
            or data.shape != indices.shape
            or (len(indices) and (indices.min() < 0 or indices.max() >= N_HASHED))
            or not (np.isfinite(data).all() and np.isfinite(logits).all())
            or np.abs(logits).max(initial=0.0) > MAX_LOGIT
        ):
            raise wrong
        vectors = sparse.csr_matrix((data, indices, indptr), shape=(n, N_HASHED))
        return cls(keys=keys, vectors=vectors, logits=logits)
