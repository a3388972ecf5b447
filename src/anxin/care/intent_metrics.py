"""How well intents were told apart: accuracy, macro-F1, per-intent precision/recall/F1 and the confusion matrix.

Pure (standard library only): ``anxin care train|eval`` and ``bench/care_intents.py`` score the classifier, the
router and the keyword baseline with the same function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class IntentScore:
    intent: str
    precision: float
    recall: float
    f1: float
    support: int  # texts whose true intent this is


@dataclass(frozen=True)
class Scores:
    n: int
    accuracy: float
    macro_f1: float  # the mean of the per-intent F1 over the intents that occur (in truth or prediction)
    per_intent: tuple[IntentScore, ...]
    labels: tuple[str, ...]
    confusion: tuple[tuple[int, ...], ...]  # [true][predicted], in the order of ``labels``

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4),
                "per_intent": {s.intent: {"precision": round(s.precision, 4), "recall": round(s.recall, 4),
                                          "f1": round(s.f1, 4), "support": s.support} for s in self.per_intent},
                "labels": list(self.labels), "confusion": [list(row) for row in self.confusion]}


def score(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> Scores:
    """Score predictions against the truth; ``labels`` orders the table (other labels seen are appended)."""
    if len(truth) != len(predicted) or not truth:
        raise ValueError("truth and predictions must be non-empty and as many")
    order = list(labels) + sorted((set(truth) | set(predicted)) - set(labels))
    at = {label: i for i, label in enumerate(order)}
    matrix = [[0] * len(order) for _ in order]
    for t, p in zip(truth, predicted, strict=True):
        matrix[at[t]][at[p]] += 1
    per = []
    for i, label in enumerate(order):
        tp = matrix[i][i]
        support = sum(matrix[i])
        said = sum(row[i] for row in matrix)
        precision = tp / said if said else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per.append(IntentScore(label, precision, recall, f1, support))
    present = [s for i, s in enumerate(per) if s.support or any(row[i] for row in matrix)]
    correct = sum(matrix[i][i] for i in range(len(order)))
    return Scores(n=len(truth), accuracy=correct / len(truth), macro_f1=sum(s.f1 for s in present) / len(present),
                  per_intent=tuple(per), labels=tuple(order), confusion=tuple(tuple(row) for row in matrix))
