"""The reply categories of seed 002 and what follows from each."""

from __future__ import annotations

CATEGORIES: tuple[str, ...] = (
    "interested",
    "meeting_request",
    "question",
    "not_now",
    "referral",
    "out_of_office",
    "unsubscribe",
    "not_interested",
    "neutral",
)

POSITIVE: frozenset[str] = frozenset({"interested", "meeting_request"})
"""A positive reply (seed 002): counted in ``positive_replies`` and ``positive_rate``."""

SENTIMENT: dict[str, str] = {
    "interested": "positive",
    "meeting_request": "positive",
    "not_interested": "negative",
    "unsubscribe": "negative",
    "question": "neutral",
    "not_now": "neutral",
    "referral": "neutral",
    "out_of_office": "neutral",
    "neutral": "neutral",
}


def sentiment_of(category: str) -> str:
    return SENTIMENT[category]


def is_positive(category: str) -> bool:
    return category in POSITIVE
