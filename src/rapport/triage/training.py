"""Fitting the default model: YouTube comments and the team's corpus.

The spam head learns from the YouTube Spam Collection and from the corpus
(spam against everything else, corpus rows weighted ``CORPUS_WEIGHT`` because
they are few and cover the desk's own kinds of comments; the corpus includes
the customer-care training half when available, which teaches it that long,
@-addressed complaints are customers, not spam); the intent head learns
needs_reply / conversation / appreciation from the corpus. Both are
L2-regularised logistic regressions: fast to fit (seconds), fast to apply and
easy to read weights from.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from rapport.triage.copied import copied_share
from rapport.triage.datasets import Example
from rapport.triage.features import N_FEATURES, matrix
from rapport.triage.model import INTENTS, LinearModel
from rapport.triage.prepare import prepare
from rapport.triage.types import TriageInput

SPAM_C = 100.0
INTENT_C = 20.0
CORPUS_WEIGHT = 3.0


def featurise(inputs: Sequence[TriageInput]) -> sparse.csr_matrix:
    prepared = [prepare(i) for i in inputs]
    return matrix(prepared, [copied_share(p.words, p.source.parent_text) for p in prepared])


def fit(
    *,
    spam: Sequence[tuple[TriageInput, bool]],
    corpus: Sequence[Example],
    version: str = "default-v1",
    notes: dict[str, object] | None = None,
) -> LinearModel:
    """Fit both heads; ``spam`` are extra spam/not-spam examples (YouTube)."""
    x_spam = featurise([i for i, _ in spam]) if spam else sparse.csr_matrix((0, N_FEATURES))
    x_corpus = featurise([i for i, _ in corpus])
    y_corpus = np.array([label for _, label in corpus])
    x = sparse.vstack([x_spam, x_corpus]).tocsr()
    y = np.concatenate([np.array([s for _, s in spam], dtype=bool), y_corpus == "spam"])
    weights = np.concatenate([np.ones(len(spam)), np.full(len(corpus), CORPUS_WEIGHT)])
    spam_head = LogisticRegression(C=SPAM_C, solver="liblinear", max_iter=5000).fit(
        x, y, sample_weight=weights
    )

    keep = y_corpus != "spam"
    intent_head = LogisticRegression(C=INTENT_C, max_iter=5000).fit(x_corpus[keep], y_corpus[keep])
    order = [list(intent_head.classes_).index(label) for label in INTENTS]
    return LinearModel(
        spam_w=spam_head.coef_[0].astype(np.float32),
        spam_b=float(spam_head.intercept_[0]),
        intent_w=intent_head.coef_[order].astype(np.float32),
        intent_b=intent_head.intercept_[order].astype(np.float32),
        meta={
            "version": version,
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "examples": {"spam_extra": len(spam), "corpus": len(corpus)},
            **(notes or {}),
        },
    )
