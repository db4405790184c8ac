"""Workspace models: learning from the owner's corrections, on top of the base model.

A workspace model is a small softmax over the four labels whose inputs are the
base model's log-probabilities plus hashed words of the item (``2**14``
columns), so it can shift the base model's judgement where this owner sees
things differently ("questions about opening hours are chit-chat to me") while
keeping everything the base model knows. It is fitted on the owner's
corrections, and it becomes the workspace's model only when it scores better
than the current one (base or previous workspace model) on corrections held
out from the fit. Stored in :class:`~rapport.triage.models.WorkspaceModel`.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import numpy as np
from scipy import sparse
from sklearn.feature_extraction import FeatureHasher
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from rapport.errors import ModelError
from rapport.triage.classifier import DefaultClassifier, Scorer, Scores, model_scorer
from rapport.triage.model import LinearModel
from rapport.triage.neighbours import Neighbourhood
from rapport.triage.prepare import Prepared
from rapport.triage.types import Classifier, TriageInput

N_WORDS = 2**14
MIN_CORRECTIONS = 20
HOLDOUT = 0.25
_ORDER = ("spam", "needs_reply", "conversation", "appreciation")
_hasher = FeatureHasher(n_features=N_WORDS, input_type="string", alternate_sign=False)


@dataclass
class Head:
    coef: np.ndarray  # (4, N_WORDS + 4), rows in _ORDER
    intercept: np.ndarray  # (4,)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez_compressed(buf, coef=self.coef.astype(np.float32), intercept=self.intercept)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Head:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                head = cls(npz["coef"], npz["intercept"])
        except Exception as exc:
            raise ModelError(
                f"a workspace model is corrupt ({exc}); refit it with "
                "`rapport triage train --workspace SLUG`"
            ) from exc
        if head.coef.shape != (len(_ORDER), N_WORDS + len(_ORDER)):
            raise ModelError(
                "a workspace model has the wrong shape; refit it with "
                "`rapport triage train --workspace SLUG`"
            )
        return head


def _inputs(prepared: list[Prepared], base: np.ndarray) -> sparse.csr_matrix:
    words = _hasher.transform(
        [*p.tokens, *(f"{a} {b}" for a, b in zip(p.tokens, p.tokens[1:], strict=False))]
        for p in prepared
    )
    words.data[:] = 1.0
    words = normalize(words, copy=False)
    return sparse.hstack(
        [words, sparse.csr_matrix(np.log(np.clip(base, 1e-6, 1.0)) / 4)], format="csr"
    )


def head_scorer(base: Scorer, head: Head) -> Scorer:
    def score(prepared: list[Prepared], copied: list[int]) -> Scores:
        below = base(prepared, copied)
        probs = np.array([[row[k] for k in _ORDER] for row in below.rows])
        logits = _inputs(prepared, probs) @ head.coef.T + head.intercept
        logits -= logits.max(axis=1, keepdims=True)
        out = np.exp(logits)
        out /= out.sum(axis=1, keepdims=True)
        rows = [dict(zip(_ORDER, map(float, row), strict=True)) for row in out]
        return Scores(rows, below.consulted)

    return score


class WorkspaceClassifier(DefaultClassifier):
    """The default classifier with a workspace head on top of its probabilities."""

    name = "workspace"

    def __init__(
        self,
        head: Head,
        version: str,
        model: LinearModel | None = None,
        neighbours: Neighbourhood | None = None,
    ) -> None:
        super().__init__(model, neighbours=neighbours)
        self._scorer = head_scorer(model_scorer(self.model, neighbours), head)
        self.version = f"{self.model.version}/{version}"


def fit_head(base: DefaultClassifier, examples: list[tuple[TriageInput, str]]) -> Head:
    from rapport.triage.copied import copied_share
    from rapport.triage.prepare import prepare

    prepared = [prepare(i) for i, _ in examples]
    copied = [copied_share(p.words, p.source.parent_text) for p in prepared]
    rows = model_scorer(base.model, base.neighbours)(prepared, copied).rows
    x = _inputs(prepared, np.array([[r[k] for k in _ORDER] for r in rows]))
    y = np.array([_ORDER.index(label) for _, label in examples])
    # Anchor every class with rows that say "trust the base model": a label the owner
    # never corrected keeps the base model's judgement (and all four classes exist).
    confident = np.log(np.eye(4) * 0.97 + 0.01) / 4
    anchors = sparse.hstack([sparse.csr_matrix((4, N_WORDS)), sparse.csr_matrix(confident)])
    x = sparse.vstack([x, anchors, anchors]).tocsr()
    y = np.concatenate([y, np.arange(4), np.arange(4)])
    clf = LogisticRegression(C=10.0, max_iter=3000).fit(x, y)
    return Head(clf.coef_, clf.intercept_)


def accuracy(classifier: Classifier, examples: list[tuple[TriageInput, str]]) -> float:
    decisions = classifier.classify_batch([i for i, _ in examples])
    return sum(d.label == label for d, (_, label) in zip(decisions, examples, strict=True)) / max(
        1, len(examples)
    )


def split(examples: list[tuple[TriageInput, str]], seed: int = 7) -> tuple[list, list]:
    shuffled = examples[:]
    random.Random(seed).shuffle(shuffled)
    n_held = max(5, int(len(shuffled) * HOLDOUT))
    return shuffled[n_held:], shuffled[:n_held]


SELF_PREFIX = "self-"  # versions of self-adaptations (see selfadapt); the rest are heads


_Row = tuple[int, str, datetime]  # id, version, created_at of a WorkspaceModel


def _active_rows(workspace_id: int) -> tuple[_Row | None, _Row | None]:
    """The newest active corrections head and the newest active self-adaptation."""
    from rapport.triage.models import WorkspaceModel

    rows = list(
        WorkspaceModel.objects.filter(workspace_id=workspace_id, is_active=True)
        .order_by("-created_at", "-id")
        .values_list("id", "version", "created_at")
    )
    head = next((r for r in rows if not r[1].startswith(SELF_PREFIX)), None)
    own = next((r for r in rows if r[1].startswith(SELF_PREFIX)), None)
    return head, own


def _weights(row_id: int) -> bytes:
    from rapport.triage.models import WorkspaceModel

    return bytes(WorkspaceModel.objects.values_list("weights", flat=True).get(id=row_id))


@lru_cache(maxsize=32)
def _adapted(row_id: int, version: str, created_at: datetime) -> DefaultClassifier:
    """Keyed by the row (rows are never rewritten; ``created_at`` tells a row whose id was
    reused after a rolled-back transaction): the ~1 MB blob is read on a miss only."""
    from rapport.triage.registry import get_classifier
    from rapport.triage.selfadapt import SpamDelta

    base: DefaultClassifier = get_classifier()  # type: ignore[assignment]
    delta = SpamDelta.from_bytes(_weights(row_id))
    if delta.base_version != base.model.version:  # fitted on an older base model: unused
        return base
    return delta.classifier(base.model, version=f"{base.model.version}/{version}")


def workspace_base(*, workspace_id: int) -> DefaultClassifier:
    """The default classifier, self-adapted to the workspace when it has an adaptation."""
    from rapport.triage.registry import get_classifier

    _, own = _active_rows(workspace_id)
    if own is None:
        return get_classifier()  # type: ignore[return-value]
    return _adapted(*own)


@lru_cache(maxsize=32)
def _cached(
    model_id: int, version: str, created_at: datetime, base: DefaultClassifier
) -> Classifier:
    return WorkspaceClassifier(
        Head.from_bytes(_weights(model_id)), version, base.model, base.neighbours
    )


def active_workspace_classifier(*, workspace_id: int) -> Classifier | None:
    """The workspace's own classifier (self-adaptation, corrections head on top), if any."""
    head, own = _active_rows(workspace_id)
    if head is None and own is None:
        return None
    base = workspace_base(workspace_id=workspace_id)
    if head is None:
        return base
    return _cached(*head, base)
