"""The default classifier: prepared text → label probabilities → a decision.

Label probabilities come from the shipped linear model (or from the rules when
the classifier is built with ``use_model=False``); flags and reasons come from
:mod:`rapport.triage.explain`. Own items never reach the model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rapport.triage import explain
from rapport.triage.copied import copied_share
from rapport.triage.features import blocks
from rapport.triage.model import DEFAULT_PATH, LinearModel, load
from rapport.triage.neighbours import Consulted, Neighbourhood
from rapport.triage.prepare import Prepared, prepare
from rapport.triage.rules import rule_probabilities
from rapport.triage.types import Decision, TriageInput

OWN_REASON = "written by the workspace's own account"
_ORDER = ("spam", "needs_reply", "conversation", "appreciation")


@dataclass(frozen=True)
class Scores:
    """Label probabilities per item, and what its workspace neighbours said (when asked)."""

    rows: list[dict[str, float]]
    consulted: list[Consulted | None]


Scorer = Callable[[list[Prepared], list[int]], Scores]


def model_scorer(model: LinearModel, neighbours: Neighbourhood | None = None) -> Scorer:
    def score(prepared: list[Prepared], copied: list[int]) -> Scores:
        features = blocks(prepared, copied)
        probs = model.probabilities(features)
        consulted: list[Consulted | None] = [None] * len(prepared)
        if neighbours is not None:
            keys = [p.source.key for p in prepared]
            spam, consulted = neighbours.smooth(features, keys, probs[:, 0])
            moved = np.flatnonzero(spam != probs[:, 0])
            if len(moved):  # the other labels share what spam leaves, in the same proportions
                rest = (1.0 - spam[moved]) / np.maximum(1.0 - probs[moved, 0], 1e-12)
                probs[moved, 1:] *= rest[:, None]
                probs[moved, 0] = spam[moved]
        rows = [dict(zip(_ORDER, map(float, row), strict=True)) for row in probs]
        return Scores(rows, consulted)

    return score


def rules_scorer(prepared: list[Prepared], copied: list[int]) -> Scores:
    return Scores([rule_probabilities(p) for p in prepared], [None] * len(prepared))


def own_decision(item: TriageInput) -> Decision:
    return Decision(
        key=item.key,
        label="conversation",
        flags=("own",),
        confidence=1.0,
        reasons=(OWN_REASON,),
        source="rule",
        model_version="rules",
    )


class DefaultClassifier:
    """Word, character and cue features with a linear model; rules for the flags."""

    name = "default"
    version = "default-v1"

    def __init__(
        self,
        model: LinearModel | None = None,
        *,
        use_model: bool = True,
        neighbours: Neighbourhood | None = None,
    ) -> None:
        self.neighbours = neighbours
        if not use_model:
            self._scorer: Scorer = rules_scorer
            self.version = "rules-1"
            return
        model = model or load(DEFAULT_PATH)
        self.model = model
        self._scorer = model_scorer(model, neighbours)
        self.version = model.version

    def classify_batch(self, inputs: Sequence[TriageInput]) -> list[Decision]:
        prepared = [prepare(item) for item in inputs if not item.is_own]
        copied = [copied_share(p.words, p.source.parent_text) for p in prepared]
        scores = self._scorer(prepared, copied) if prepared else Scores([], [])
        by_item = {
            id(p.source): (p, c, probs, near)
            for p, c, probs, near in zip(
                prepared, copied, scores.rows, scores.consulted, strict=True
            )
        }
        out: list[Decision] = []
        for item in inputs:
            if item.is_own:
                out.append(own_decision(item))
            else:
                out.append(self._decide(*by_item[id(item)]))
        return out

    def _decide(
        self, p: Prepared, share: int, probs: dict[str, float], near: Consulted | None
    ) -> Decision:
        item = p.source
        flags: list[str] = []
        reasons: list[str] = []
        spam_p = probs["spam"]
        link_reason = explain.link_spam(p, spam_p)
        if link_reason:
            flags.append("link_spam")
        if share:
            flags.append("copied")
        if item.seen_before is not None:
            flags.append("duplicate")
        label, confidence = choose_label(p, probs, suspicious=bool(link_reason or share))
        by_label = explain.intent_reasons(p)
        if label == "spam":
            reasons += [r for r in (link_reason,) if r]
            if share:
                reasons.append(f"copies {share} % of a sentence of the post")
            if near is not None and near.spam_like * 2 > near.neighbours:
                reasons.append(explain.neighbours_reason(near.spam_like, near.neighbours))
        reasons += by_label[label]
        if label != "spam" and near is not None and near.model_said_spam:
            reasons.append(explain.neighbours_rescue_reason(near.spam_like, near.neighbours))
        if share and label != "spam":
            reasons.append(f"copies {share} % of a sentence of the post")
        if item.seen_before is not None:
            reasons.append(explain.duplicate_reason(item.seen_before))
        if not reasons:
            reasons.append(_fallback_reason(label))
        if p.language:
            flags.append(f"language:{p.language}")
        return Decision(
            key=item.key,
            label=label,
            flags=tuple(flags),
            confidence=round(float(confidence), 4),
            reasons=tuple(dict.fromkeys(reasons)),
            source="model",
            model_version=self.version,
        )


SPAM_THRESHOLD = 0.5
NEEDS_REPLY_WHEN_ASKING = 0.2


def choose_label(p: Prepared, probs: dict[str, float], *, suspicious: bool) -> tuple[str, float]:
    """The label and its confidence, leaning towards ``needs_reply`` when in doubt.

    Nothing that needs an answer may get lost: a message that is not spam and
    asks, requests or complains is ``needs_reply`` unless the model all but
    rules that out. Dropped links or copied text lower the bar for spam.
    """
    question, request, complaint, _, _ = p.cue_counts
    asking = bool(question or request or complaint or p.questions)
    spam_p = probs["spam"]
    if (suspicious and spam_p >= 0.2) or spam_p >= SPAM_THRESHOLD:
        return "spam", max(spam_p, 0.5)
    rest = max(1e-9, 1.0 - spam_p)
    intent = {k: v / rest for k, v in probs.items() if k != "spam"}
    if asking and intent["needs_reply"] >= NEEDS_REPLY_WHEN_ASKING:
        return "needs_reply", probs["needs_reply"] / rest * (1 - spam_p)
    label = max(intent, key=intent.__getitem__)
    return label, probs[label]


def _fallback_reason(label: str) -> str:
    return {
        "needs_reply": "reads like it expects an answer",
        "conversation": "no question, request or plain praise",
        "appreciation": "short and positive",
        "spam": "wording typical of spam",
    }[label]
