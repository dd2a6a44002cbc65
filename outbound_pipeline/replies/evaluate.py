"""Quality figures for a classifier on labelled replies: macro-F1, per-category precision and
recall, the confusion matrix, and how fast it ran."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from outbound_pipeline.replies.categories import CATEGORIES
from outbound_pipeline.replies.classifier import Classifier, Reply


@dataclass(frozen=True)
class Evaluation:
    classifier: str
    classifier_version: str
    examples: int
    accuracy: float
    macro_f1: float
    per_category: dict[str, dict[str, float]]
    """category -> precision, recall, f1, support."""
    confusion: list[list[int]]
    """Rows: true category, columns: predicted, both in :data:`CATEGORIES` order."""
    seconds: float
    """Wall time to clean and classify every example, in one process."""
    methods: dict[str, int]

    @property
    def replies_per_second(self) -> float:
        return self.examples / self.seconds if self.seconds else float("inf")

    def as_metadata(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "macro_f1": round(self.macro_f1, 4),
            "accuracy": round(self.accuracy, 4),
            "replies_per_second": round(self.replies_per_second),
            "per_category": {c: {k: round(v, 3) for k, v in m.items()}
                             for c, m in self.per_category.items()},
        }

    def confusion_markdown(self) -> str:
        short = [c.replace("_", " ") for c in CATEGORIES]
        lines = ["| true \\ predicted | " + " | ".join(short) + " |",
                 "|---" * (len(CATEGORIES) + 1) + "|"]
        for name, row in zip(short, self.confusion, strict=True):
            lines.append(f"| **{name}** | " + " | ".join(str(n) for n in row) + " |")
        return "\n".join(lines)


def evaluate(classifier: Classifier, texts: Sequence[str], labels: Sequence[str],
             subjects: Sequence[str | None] | None = None) -> Evaluation:
    """Cleans and classifies ``texts`` (timed together) and scores the result."""
    started = time.perf_counter()
    replies = [Reply.of_text(text, subjects[i] if subjects else None)
               for i, text in enumerate(texts)]
    results = classifier.classify(replies)
    seconds = time.perf_counter() - started
    predicted = [r.reply_category for r in results]
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=list(CATEGORIES), zero_division=0)
    per_category = {
        c: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
            "support": int(support[i])}
        for i, c in enumerate(CATEGORIES)
    }
    present = [i for i, c in enumerate(CATEGORIES) if support[i] > 0]
    macro_f1 = sum(float(f1[i]) for i in present) / len(present) if present else 0.0
    methods: dict[str, int] = {}
    for r in results:
        methods[r.method] = methods.get(r.method, 0) + 1
    return Evaluation(
        classifier=classifier.name,
        classifier_version=classifier.version,
        examples=len(texts),
        accuracy=sum(p == t for p, t in zip(predicted, labels, strict=True)) / max(len(texts), 1),
        macro_f1=macro_f1,
        per_category=per_category,
        confusion=confusion_matrix(labels, predicted, labels=list(CATEGORIES)).tolist(),
        seconds=seconds,
        methods=methods,
    )
