"""A remote reply classifier over HTTP, with the embedded classifier as its fallback.

Two API styles (``docs/platform-apis.md``):

- ``batch``: ``POST <url>`` with ``{"model": ..., "input": [up to 32 texts]}``, answered by
  ``{"output": [{"label": ..., "confidence": ...}, ...]}`` in input order. Labels ``bounced``,
  ``OOO``, ``no-longer-works-here``, ``not-interested``, ``interested``, ``wants-to-meet``,
  ``meeting-booked``, ``other`` (and the seed 002 names themselves) are understood.
- ``revreply``: ``POST <url>`` with the multipart field ``email_body``, one reply per request,
  answered by ``{"data": {"classification": ...}}`` or ``{"classification": ...}``
  (``POSITIVE_REPLY``, ``NEGATIVE_REPLY``, ``NEUTRAL_REPLY``, ``OUT_OF_OFFICE``,
  ``UNSUBSCRIBE``, and the seed 002 names).

Requests go through the shared HTTP client (pacing, retries with backoff, typed errors, the
key redacted everywhere). When a request still fails, or the answer cannot be read, or a label
is unknown, the affected replies are classified by the fallback (the embedded classifier)
and the reason is kept in their explanation. Texts are sent cleaned; nothing else about the
reply leaves the machine.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from outbound_pipeline.http import REDACT, ApiClient, PlatformError, RateLimiter, RetryPolicy
from outbound_pipeline.replies.categories import CATEGORIES
from outbound_pipeline.replies.classifier import Classification, Classifier, Reply, with_facts

log = logging.getLogger(__name__)

STYLES = ("batch", "revreply")
BATCH_SIZE = 32

REMOTE_LABELS: dict[str, str] = {
    **{c: c for c in CATEGORIES},
    # the documented batch API
    "bounced": "neutral",
    "ooo": "out_of_office",
    "no_longer_works_here": "referral",
    "not_interested": "not_interested",
    "wants_to_meet": "meeting_request",
    "meeting_booked": "meeting_request",
    "other": "neutral",
    # RevReply-style names (seed 000)
    "positive_reply": "interested",
    "negative_reply": "not_interested",
    "neutral_reply": "neutral",
    "out_of_office_reply": "out_of_office",
    "unsubscribe_reply": "unsubscribe",
    "auto_reply": "out_of_office",
    "wrong_person": "referral",
}


def category_of(label: Any) -> str | None:
    """The seed 002 category of a remote label, or None when it is not known."""
    if not isinstance(label, str):
        return None
    key = label.strip().lower().replace("-", "_").replace(" ", "_")
    return REMOTE_LABELS.get(key)


class RemoteAnswerError(ValueError):
    """The remote classifier answered, but not in the expected shape."""


class _ClassifierApi(ApiClient):
    platform = "reply classifier"

    def authenticate(self, params: dict[str, Any], headers: dict[str, str]) -> None:
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"


class RemoteClassifier:
    """Classifies through a remote API; see the module docstring."""

    name = "remote"

    def __init__(self, url: str, api_key: str, *, style: str = "batch", model: str | None = None,
                 fallback: Classifier, requests_per_second: float = 10.0,
                 timeout: float = 20.0, retry: RetryPolicy | None = None) -> None:
        if style not in STYLES:
            raise ValueError(f"remote classifier style must be one of {STYLES}, got {style!r}")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"remote classifier URL must be http(s)://host/path, got {url!r}")
        self.style = style
        self.model = model
        self.fallback = fallback
        self._path = parts.path or "/"
        if parts.query:
            self._path += f"?{parts.query}"
        if api_key:
            REDACT.add(api_key)
        self.client = _ClassifierApi(
            connection="reply_classifier", base_url=f"{parts.scheme}://{parts.netloc}",
            api_key=api_key, limiter=RateLimiter(max(1, round(requests_per_second)), 1.0),
            retry=retry or RetryPolicy(max_attempts=3, base_seconds=0.5, cap_seconds=5.0),
            timeout=timeout,
        )
        self.version = f"remote-{style}-{model or 'default'}@{parts.netloc}"
        self.fallbacks = 0
        """Replies the fallback classified so far."""

    def close(self) -> None:
        self.client.close()

    def classify(self, replies: Sequence[Reply]) -> list[Classification]:
        results: list[Classification | None] = [None] * len(replies)
        to_send = [i for i, r in enumerate(replies) if r.cleaned.text]
        empty = [i for i in range(len(replies)) if not replies[i].cleaned.text]
        self._fall_back(replies, empty, results, None)
        size = BATCH_SIZE if self.style == "batch" else 1
        for start in range(0, len(to_send), size):
            batch = to_send[start:start + size]
            try:
                labels = self._labels([replies[i].cleaned.text for i in batch])
            except (PlatformError, RemoteAnswerError) as exc:
                reason = REDACT(str(exc))
                log.warning("remote reply classifier failed for %d replies, using the "
                            "embedded classifier: %s", len(batch), reason)
                self._fall_back(replies, batch, results, reason)
                continue
            unknown = []
            for i, (label, confidence) in zip(batch, labels, strict=True):
                category = category_of(label)
                if category is None:
                    unknown.append(i)
                    continue
                bounce = label.strip().lower() == "bounced"
                results[i] = with_facts(Classification(
                    category, confidence, self.name, self.version, "remote",
                    {"remote_label": label},
                    is_auto_reply=bounce or category == "out_of_office", is_bounce=bounce),
                    replies[i])
            if unknown:
                self._fall_back(replies, unknown, results,
                                f"unknown remote label for {len(unknown)} replies")
        return [r for r in results if r is not None]

    def _fall_back(self, replies: Sequence[Reply], indices: list[int],
                   results: list[Classification | None], reason: str | None) -> None:
        if not indices:
            return
        fallback = self.fallback.classify([replies[i] for i in indices])
        for i, result in zip(indices, fallback, strict=True):
            if reason is not None:
                self.fallbacks += 1
                result = replace(result, explanation={**result.explanation,
                                                      "fallback_reason": reason})
            results[i] = result

    def _labels(self, texts: list[str]) -> list[tuple[Any, float]]:
        if self.style == "revreply":
            body = self.client.request("POST", self._path, files={"email_body": (None, texts[0])},
                                       idempotent=True)
            data = body.get("data") if isinstance(body, dict) else None
            label = (data.get("classification") if isinstance(data, dict) else None) or (
                body.get("classification") if isinstance(body, dict) else None)
            if label is None:
                raise RemoteAnswerError("answer has no classification")
            confidence = (data or {}).get("confidence") if isinstance(data, dict) else None
            return [(label, _confidence(confidence))]
        payload: dict[str, Any] = {"input": texts}
        if self.model:
            payload["model"] = self.model
        body = self.client.request("POST", self._path, json_body=payload, idempotent=True)
        output = body.get("output") if isinstance(body, dict) else None
        if not isinstance(output, list) or len(output) != len(texts):
            raise RemoteAnswerError(
                f"answer has {len(output) if isinstance(output, list) else 'no'} outputs for "
                f"{len(texts)} inputs")
        labels = []
        for item in output:
            if not isinstance(item, dict):
                raise RemoteAnswerError("an output item is not an object")
            labels.append((item.get("label"), _confidence(item.get("confidence"))))
        return labels


def _confidence(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.5
    return min(max(number, 0.0), 1.0)


def classifier_for(settings: Any, api_key: str | None) -> tuple[Classifier, list[str]]:
    """The classifier the settings select, and the classifier versions whose results count as
    current (a remote classifier's and its embedded fallback's)."""
    from outbound_pipeline.replies.classifier import embedded_classifier

    embedded = embedded_classifier()
    if settings.reply_classifier != "remote":
        return embedded, [embedded.version]
    remote = RemoteClassifier(settings.reply_classifier_url, api_key or "",
                              style=settings.reply_classifier_style,
                              model=settings.reply_classifier_model, fallback=embedded)
    return remote, [remote.version, embedded.version]
