"""A rule-based scorer: the fallback when no learned model is wanted, and the
first version of triage. It turns the cues into label probabilities, so the
classifier treats it exactly like the learned model.
"""

from __future__ import annotations

from rapport.triage.prepare import Prepared
from rapport.triage.types import LABELS


def rule_probabilities(p: Prepared) -> dict[str, float]:
    score = dict.fromkeys(LABELS, 0.0)
    q, r, c, praise, promo = p.cue_counts
    score["needs_reply"] = 1.5 * bool(q or p.questions) + 1.2 * bool(r) + 1.2 * bool(c)
    score["appreciation"] = 1.5 * bool(praise) * (len(p.words) <= 20)
    score["spam"] = 1.5 * promo + 1.0 * bool(p.links) * (len(p.words) < 4) + 0.8 * len(p.links)
    score["spam"] += 1.0 * (p.upper_ratio > 0.6 and p.letters >= 12)
    score["conversation"] = 0.8 + 0.02 * min(len(p.words), 40)
    total = sum(2.0**v for v in score.values())
    return {label: 2.0**v / total for label, v in score.items()}
