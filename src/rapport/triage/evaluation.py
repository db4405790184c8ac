"""Scoring a classifier on labelled examples: per-class P/R/F1 and a confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapport.triage.datasets import Example
from rapport.triage.types import LABELS, Classifier


@dataclass(frozen=True)
class Report:
    labels: tuple[str, ...]
    per_class: dict[str, tuple[float, float, float, int]]  # precision, recall, f1, support
    confusion: list[list[int]]  # rows: true label, columns: predicted
    accuracy: float
    macro_f1: float

    def lines(self) -> list[str]:
        out = [f"{'label':<14}{'precision':>10}{'recall':>8}{'F1':>8}{'n':>7}"]
        for label in self.labels:
            p, r, f, n = self.per_class[label]
            out.append(f"{label:<14}{p:>10.3f}{r:>8.3f}{f:>8.3f}{n:>7}")
        out.append(f"accuracy {self.accuracy:.3f}   macro F1 {self.macro_f1:.3f}")
        out.append("")
        out.append("confusion (rows: true, columns: predicted)")
        out.append(" " * 14 + "".join(f"{label[:12]:>13}" for label in self.labels))
        for label, row in zip(self.labels, self.confusion, strict=True):
            out.append(f"{label:<14}" + "".join(f"{n:>13}" for n in row))
        return out


def score(truth: Sequence[str], predicted: Sequence[str]) -> Report:
    index = {label: i for i, label in enumerate(LABELS)}
    confusion = [[0] * len(LABELS) for _ in LABELS]
    for t, p in zip(truth, predicted, strict=True):
        confusion[index[t]][index[p]] += 1
    per_class: dict[str, tuple[float, float, float, int]] = {}
    for label, i in index.items():
        tp = confusion[i][i]
        predicted_n = sum(row[i] for row in confusion)
        support = sum(confusion[i])
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = (precision, recall, f1, support)
    present = [label for label in LABELS if per_class[label][3]]
    total = sum(sum(row) for row in confusion)
    return Report(
        labels=LABELS,
        per_class=per_class,
        confusion=confusion,
        accuracy=sum(confusion[i][i] for i in range(len(LABELS))) / total if total else 0.0,
        macro_f1=sum(per_class[label][2] for label in present) / len(present) if present else 0.0,
    )


def evaluate(classifier: Classifier, examples: Sequence[Example]) -> Report:
    decisions = classifier.classify_batch([item for item, _ in examples])
    return score([label for _, label in examples], [d.label for d in decisions])
