"""Self-adaptation: the spam weights tuned to one workspace's own items, without labels.

Every community writes differently: the same "thumbs up if you watch in 2015" is
chit-chat under one video and spam bait under another. Before any owner
correction exists, the base model can still learn a workspace's vocabulary from
its own confident decisions: the items it calls spam with P >= ``CONFIDENT``
or not spam with P <= 1 - ``CONFIDENT`` become pseudo-labels, and the spam
weights of the n-grams they use are fine-tuned on them with an L2 prior
centred on the base weights (``PRIOR``), so nothing moves far from what the
base model learned and n-grams the workspace never used do not move at all.
Two rounds; the intent head is untouched. Only spam weights change, as a
sparse delta (columns and values) stored per workspace, with the workspace's
:class:`~rapport.triage.neighbours.Neighbourhood` (its newest items and the
adapted model's logits for them), which settles the items the model is unsure of.

Measured on the YouTube Spam Collection (``bench/triage_youtube.py``): the
held-out video adapted on its own unlabelled comments. ``CONFIDENT`` was fixed
a priori; ``PRIOR`` is the value an inner leave-one-video-out on the training
videos chose in four of five folds (docs/benchmarks.md has the nested figure).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse
from scipy.optimize import minimize

from rapport.errors import ModelError
from rapport.triage.copied import copied_share
from rapport.triage.features import N_FEATURES, N_HASHED, blocks
from rapport.triage.model import LinearModel
from rapport.triage.neighbours import Neighbourhood
from rapport.triage.prepare import prepare
from rapport.triage.types import TriageInput

if TYPE_CHECKING:
    from rapport.triage.classifier import DefaultClassifier

CONFIDENT = 0.9
PRIOR = 0.3
ROUNDS = 2
MAX_ITER = 200
MIN_ITEMS = 100  # fewer items teach too little to be worth a model
MAX_ITEMS = 20_000  # the newest ones; bounds time and memory of a fit


@dataclass(frozen=True)
class SpamDelta:
    """What self-adaptation adds to the base spam weights, for one base model."""

    base_version: str
    cols: np.ndarray  # int32 column indices
    delta: np.ndarray  # float32, same length
    confident: int = 0
    neighbours: Neighbourhood | None = None

    def apply(self, model: LinearModel) -> LinearModel:
        """The base model with the adapted spam weights (a copy; the base stays as it is)."""
        if model.version != self.base_version:
            raise ModelError(
                f"the workspace's self-adaptation was fitted on {self.base_version}, "
                f"not on {model.version}; refit it with `rapport triage adapt --workspace SLUG`"
            )
        spam_w = model.spam_w.copy()
        spam_w[self.cols] += self.delta
        return replace(model, spam_w=spam_w, _stacked=None)

    def classifier(self, model: LinearModel, *, version: str | None = None) -> DefaultClassifier:
        """The default classifier with the adapted weights and the workspace's neighbourhood."""
        from rapport.triage.classifier import DefaultClassifier

        adapted = self.apply(model)
        if version is not None:
            adapted.meta = {**adapted.meta, "version": version}
        return DefaultClassifier(adapted, neighbours=self.neighbours)

    def to_bytes(self) -> bytes:
        arrays: dict[str, Any] = {
            "cols": self.cols.astype(np.int32),
            "delta": self.delta.astype(np.float32),
            "base_version": np.array(self.base_version),
            "confident": np.array([self.confident]),
            **(self.neighbours.arrays() if self.neighbours is not None else {}),
        }
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)  # numbers only: loaded with allow_pickle=False
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> SpamDelta:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                out = cls(
                    base_version=str(npz["base_version"]),
                    cols=npz["cols"].astype(np.int64),
                    delta=npz["delta"].astype(np.float32),
                    confident=int(npz["confident"][0]),
                    neighbours=Neighbourhood.from_arrays(npz),
                )
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(
                f"a workspace's self-adaptation is corrupt ({exc}); refit it with "
                "`rapport triage adapt --workspace SLUG`"
            ) from exc
        if (
            out.cols.shape != out.delta.shape
            or out.cols.ndim != 1
            or (out.cols.size and (out.cols.min() < 0 or out.cols.max() >= N_FEATURES))
            or not np.isfinite(out.delta).all()
        ):
            raise ModelError(
                "a workspace's self-adaptation has the wrong shape; refit it with "
                "`rapport triage adapt --workspace SLUG`"
            )
        return out


def _features(items: Sequence[TriageInput]) -> sparse.csr_matrix:
    prepared = [prepare(i) for i in items]
    copied = [copied_share(p.words, p.source.parent_text) for p in prepared]
    return blocks(prepared, copied).matrix()


def _spam_logits(x: sparse.csr_matrix, w: np.ndarray, b: float) -> np.ndarray:
    return np.asarray(x @ w, dtype=np.float64) + b


def fit(model: LinearModel, items: Sequence[TriageInput]) -> SpamDelta:
    """Fit the workspace's spam delta on its own items (their text only, no labels)."""
    items = [i for i in items[-MAX_ITEMS:] if not i.is_own]
    if not items:
        return SpamDelta(model.version, np.zeros(0, np.int32), np.zeros(0, np.float32))
    x = _features(items)
    w0 = model.spam_w.astype(np.float64)
    b = model.spam_b
    z = _spam_logits(x, w0, b)  # the current model's logits: the neighbourhood keeps them
    cols = np.zeros(0, dtype=np.int64)
    delta = np.zeros(0)
    confident = 0
    for _ in range(ROUNDS):
        p = 1.0 / (1.0 + np.exp(-z))
        chosen = (p >= CONFIDENT) | (p <= 1 - CONFIDENT)
        confident = int(chosen.sum())
        if not confident:
            break
        xs = x[chosen]
        cols = np.unique(xs.indices).astype(np.int64)
        xs = xs[:, cols].tocsr()
        y = (p[chosen] >= 0.5).astype(np.float64)
        z0 = np.asarray(xs @ w0[cols], dtype=np.float64) + b

        def loss(d: np.ndarray, xs=xs, y=y, z0=z0) -> tuple[float, np.ndarray]:
            z = z0 + xs @ d
            q = 1.0 / (1.0 + np.exp(-z))
            value = float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * PRIOR * d @ d)
            return value, xs.T @ (q - y) + PRIOR * d

        result = minimize(
            loss, np.zeros(len(cols)), jac=True, method="L-BFGS-B", options={"maxiter": MAX_ITER}
        )
        delta = result.x
        w = w0.copy()
        w[cols] += delta
        z = _spam_logits(x, w, b)
    keep = delta != 0
    return SpamDelta(
        base_version=model.version,
        cols=cols[keep].astype(np.int32),
        delta=delta[keep].astype(np.float32),
        confident=confident,
        neighbours=Neighbourhood.build([i.key for i in items], x[:, :N_HASHED], z),
    )
