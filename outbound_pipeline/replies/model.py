"""The trained part of the embedded classifier: a linear model over the features of
:mod:`.features` (words, word pairs, stems and multilingual cues).

A multinomial logistic regression gives probabilities (``confidence``) and per-feature
weights, so every prediction is explained by the features that pushed it toward its category
most (``"not interested"``, ``#meeting``, ``>inter``...).

The model trains in about a second from the ``train`` split of the labelled set, so it is
built on first use in each process rather than stored as a binary.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from outbound_pipeline.replies.cleaning import clean_reply
from outbound_pipeline.replies.features import features
from outbound_pipeline.replies.labelled import Example

MODEL_VERSION = "1"
TOP_FEATURES = 3
C = 20.0
"""Inverse regularisation strength, chosen by cross-validation on the train split."""


@dataclass(frozen=True, slots=True)
class Prediction:
    category: str
    confidence: float
    features: tuple[tuple[str, float], ...]
    """The n-grams that pushed most toward ``category``, with their contribution."""


class ReplyModel:
    """Fitted vectorizers and classifier; :meth:`predict` takes cleaned texts."""

    def __init__(self, vectorizer: TfidfVectorizer, classifier: LogisticRegression) -> None:
        self._vectorizer = vectorizer
        self._classifier = classifier
        self.classes: tuple[str, ...] = tuple(classifier.classes_)
        self._feature_names = np.array(
            [_display(n) for n in vectorizer.get_feature_names_out()], dtype=object)

    @classmethod
    def train(cls, examples: Sequence[Example]) -> ReplyModel:
        """Fits on the examples' cleaned texts."""
        texts = [clean_reply(e.text).text for e in examples]
        labels = [e.category for e in examples]
        vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True)
        classifier = LogisticRegression(C=C, max_iter=5000, class_weight="balanced")
        classifier.fit(vectorizer.fit_transform(texts), labels)
        return cls(vectorizer, classifier)

    def _features(self, texts: Sequence[str]):
        return self._vectorizer.transform(texts)

    def predict(self, texts: Sequence[str], explain: bool = True) -> list[Prediction]:
        if not texts:
            return []
        features = self._features(texts)
        probabilities = self._classifier.predict_proba(features)
        best = probabilities.argmax(axis=1)
        coef = self._classifier.coef_
        predictions = []
        for row, k in enumerate(best):
            top: tuple[tuple[str, float], ...] = ()
            if explain:
                start, end = features.indptr[row], features.indptr[row + 1]
                indices = features.indices[start:end]
                contributions = features.data[start:end] * coef[k, indices]
                order = np.argsort(-contributions)[:TOP_FEATURES]
                top = tuple((str(self._feature_names[indices[i]]),
                             round(float(contributions[i]), 3))
                            for i in order if contributions[i] > 0)
            confidence = float(probabilities[row, k])
            predictions.append(Prediction(self.classes[k], round(confidence, 4)
                                          if math.isfinite(confidence) else 0.0, top))
        return predictions


def _display(name: str) -> str:
    """Cues and stems read as they are; words and pairs in quotes."""
    return name if name[:1] in "#>" else f'"{name}"'
