"""Reply classification: the embedded classifier (rules, then the trained model) and the
common result every classifier returns.

A classifier takes cleaned replies (:class:`Reply`) and returns one :class:`Classification`
each: the seed 002 category, its sentiment and positivity, a confidence, how it was decided
and why (the rule and the words that fired it, or the n-grams that weighed most), and the
facts a rule or the category carries (return date, referred person, auto-reply, bounce).

Its ``version`` names everything that can change a result; stored rows with another version
are classified again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, Protocol

from outbound_pipeline.replies.categories import is_positive, sentiment_of
from outbound_pipeline.replies.cleaning import CleanedReply, clean_reply
from outbound_pipeline.replies.labelled import Example, fingerprint, load_labelled, of_split
from outbound_pipeline.replies.model import MODEL_VERSION, ReplyModel
from outbound_pipeline.replies.rules import (
    RULES_VERSION,
    RuleMatch,
    apply_rules,
    referred_person,
    return_date,
)


@dataclass(frozen=True, slots=True)
class Reply:
    """One reply to classify."""

    cleaned: CleanedReply
    subject: str | None = None
    received_on: date | None = None
    """Resolves return dates written without a year."""
    own_email: str | None = None
    """The writer's own address, never taken for the referred person's."""

    @classmethod
    def of_text(cls, body: str, subject: str | None = None, received_on: date | None = None,
                own_email: str | None = None) -> Reply:
        return cls(clean_reply(body), subject, received_on, own_email)


@dataclass(frozen=True, slots=True)
class Classification:
    reply_category: str
    confidence: float
    classifier: str
    classifier_version: str
    method: str
    """``rule``, ``model``, ``remote`` or ``empty`` (nothing left after cleaning)."""
    explanation: dict[str, Any] = field(default_factory=dict)
    is_auto_reply: bool = False
    is_bounce: bool = False
    return_date: date | None = None
    referred_name: str | None = None
    referred_email: str | None = None

    @property
    def sentiment(self) -> str:
        return sentiment_of(self.reply_category)

    @property
    def is_positive(self) -> bool:
        return is_positive(self.reply_category)

    @property
    def explanation_text(self) -> str:
        """One line a person can read: what decided and on which words."""
        e = self.explanation
        if self.method == "rule":
            return f"rule {e['rule']}: {e['evidence']!r}"
        if self.method == "model":
            features = ", ".join(f"{name} {weight:+.2f}" for name, weight in e["features"])
            return f"model: {features or 'no strong feature'}"
        if self.method == "remote":
            return f"remote label {e.get('remote_label')!r}"
        return e.get("reason", self.method)

    def as_dict(self) -> dict[str, Any]:
        return {
            "reply_category": self.reply_category,
            "sentiment": self.sentiment,
            "is_positive": self.is_positive,
            "confidence": self.confidence,
            "classifier": self.classifier,
            "classifier_version": self.classifier_version,
            "method": self.method,
            "explanation": self.explanation_text,
            "explanation_detail": self.explanation,
            "is_auto_reply": self.is_auto_reply,
            "is_bounce": self.is_bounce,
            "return_date": self.return_date.isoformat() if self.return_date else None,
            "referred_name": self.referred_name,
            "referred_email": self.referred_email,
        }


class Classifier(Protocol):
    name: str
    version: str

    def classify(self, replies: Sequence[Reply]) -> list[Classification]: ...


def with_facts(result: Classification, reply: Reply) -> Classification:
    """Adds the return date to an out-of-office result and the referred person to a referral,
    when the deciding step did not already find them."""
    from dataclasses import replace

    text = reply.cleaned.text
    if result.reply_category == "out_of_office" and result.return_date is None:
        result = replace(result, is_auto_reply=True,
                         return_date=return_date(text, reply.received_on))
    if result.reply_category == "referral" and not (result.referred_name
                                                     or result.referred_email):
        name, email = referred_person(text, reply.own_email)
        result = replace(result, referred_name=name, referred_email=email)
    return result


class EmbeddedClassifier:
    """Rules for the unambiguous kinds, the trained model for the rest. No network."""

    name = "embedded"

    def __init__(self, model: ReplyModel, data_fingerprint: str) -> None:
        self.model = model
        self.version = f"rules{RULES_VERSION}-model{MODEL_VERSION}-data{data_fingerprint}"

    @classmethod
    def train(cls, examples: Sequence[Example]) -> EmbeddedClassifier:
        return cls(ReplyModel.train(examples), fingerprint(examples))

    def _result(self, method: str, category: str, confidence: float,
                explanation: dict[str, Any], **facts: Any) -> Classification:
        return Classification(category, confidence, self.name, self.version, method,
                              explanation, **facts)

    def classify(self, replies: Sequence[Reply]) -> list[Classification]:
        results: list[Classification | None] = [None] * len(replies)
        for_model: list[int] = []
        for i, reply in enumerate(replies):
            text = reply.cleaned.text
            match = apply_rules(text, reply.subject, reply.received_on)
            if match is not None:
                results[i] = self._from_rule(match)
            elif not text:
                results[i] = self._result(
                    "empty", "neutral", 1.0,
                    {"reason": "nothing of the writer's own is left after cleaning"})
            else:
                for_model.append(i)
        predictions = self.model.predict([replies[i].cleaned.text for i in for_model])
        for i, prediction in zip(for_model, predictions, strict=True):
            results[i] = self._result(
                "model", prediction.category, prediction.confidence,
                {"features": [list(f) for f in prediction.features]})
        return [with_facts(r, reply) for r, reply in zip(results, replies, strict=True)
                if r is not None]

    def _from_rule(self, match: RuleMatch) -> Classification:
        return self._result(
            "rule", match.category, 1.0, {"rule": match.rule, "evidence": match.evidence},
            is_auto_reply=match.is_auto_reply, is_bounce=match.is_bounce,
            return_date=match.return_date, referred_name=match.referred_name,
            referred_email=match.referred_email)


@lru_cache(maxsize=1)
def embedded_classifier() -> EmbeddedClassifier:
    """The embedded classifier trained on the train split of the labelled set (once per
    process)."""
    return EmbeddedClassifier.train(of_split(load_labelled(), "train"))
