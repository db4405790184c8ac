"""The default classifier: prepared text → label probabilities → a decision.

Label probabilities come from the shipped linear model (or from the rules when
the classifier is built with ``use_model=False``); flags and reasons come from
:mod:`rapport.triage.explain`. Own items never reach the model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rapport.triage import explain
from rapport.triage.copied import copied_share
from rapport.triage.prepare import Prepared, prepare
from rapport.triage.rules import rule_probabilities
from rapport.triage.types import Decision, TriageInput

OWN_REASON = "written by the workspace's own account"
Scorer = Callable[[list[Prepared]], list[dict[str, float]]]


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
    version = "rules-1"

    def __init__(self, scorer: Scorer | None = None, version: str | None = None) -> None:
        self._scorer: Scorer = scorer or (lambda ps: [rule_probabilities(p) for p in ps])
        if version:
            self.version = version

    def classify_batch(self, inputs: Sequence[TriageInput]) -> list[Decision]:
        prepared = [prepare(item) for item in inputs if not item.is_own]
        probabilities = iter(self._scorer(prepared) if prepared else [])
        by_key = {id(p.source): (p, next(probabilities)) for p in prepared}
        out: list[Decision] = []
        for item in inputs:
            if item.is_own:
                out.append(own_decision(item))
            else:
                p, probs = by_key[id(item)]
                out.append(self._decide(p, probs))
        return out

    def _decide(self, p: Prepared, probs: dict[str, float]) -> Decision:
        item = p.source
        flags: list[str] = []
        reasons: list[str] = []
        spam_p = probs["spam"]
        link_reason = explain.link_spam(p, spam_p)
        if link_reason:
            flags.append("link_spam")
        share = copied_share(p.words, item.parent_text)
        if share:
            flags.append("copied")
        if item.seen_before is not None:
            flags.append("duplicate")
        label = max(probs, key=probs.__getitem__)
        confidence = probs[label]
        if label != "spam" and (link_reason or share) and spam_p >= 0.2:
            label, confidence = "spam", max(spam_p, 0.6)
        by_label = explain.intent_reasons(p)
        if label == "spam":
            reasons += [r for r in (link_reason,) if r]
            if share:
                reasons.append(f"copies {share} % of a sentence of the post")
        reasons += by_label[label]
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


def _fallback_reason(label: str) -> str:
    return {
        "needs_reply": "reads like it expects an answer",
        "conversation": "no question, request or plain praise",
        "appreciation": "short and positive",
        "spam": "wording typical of spam",
    }[label]
