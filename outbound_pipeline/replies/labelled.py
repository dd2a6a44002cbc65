"""The labelled replies kept in the repository (``labelled/*.jsonl``).

Each line is one reply as a prospect wrote it (quoted thread, signature and all) with its
category; out-of-office replies may carry ``return_date``, referrals ``referred_name`` /
``referred_email``. ``split`` is ``train`` or ``test``: the test part is held out, never trained
on, and is what the quality figures are measured on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from outbound_pipeline.replies.categories import CATEGORIES

LABELLED_DIR = Path(__file__).resolve().parent / "labelled"
SPLITS = ("train", "test")


class LabelledSetError(ValueError):
    """A labelled file has a line that cannot be used; the message names file and line."""


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    language: str
    text: str
    category: str
    split: str
    return_date: date | None = None
    referred_name: str | None = None
    referred_email: str | None = None


def _example(raw: dict, where: str) -> Example:
    try:
        category = raw["reply_category"]
        text = raw["text"]
        example_id = raw["id"]
    except KeyError as exc:
        raise LabelledSetError(f"{where}: missing field {exc.args[0]!r}") from None
    if category not in CATEGORIES:
        raise LabelledSetError(f"{where}: unknown reply_category {category!r}")
    split = raw.get("split", "train")
    if split not in SPLITS:
        raise LabelledSetError(f"{where}: split must be one of {SPLITS}, got {split!r}")
    if not isinstance(text, str) or not text.strip():
        raise LabelledSetError(f"{where}: text must be a non-empty string")
    returns = raw.get("return_date")
    return Example(
        id=str(example_id), language=str(raw.get("language") or "?"), text=text,
        category=category, split=split,
        return_date=date.fromisoformat(returns) if returns else None,
        referred_name=raw.get("referred_name"), referred_email=raw.get("referred_email"),
    )


def load_labelled(directory: Path = LABELLED_DIR) -> list[Example]:
    """Every labelled example, in file and line order."""
    examples: list[Example] = []
    ids: set[str] = set()
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                raw = json.loads(line)
            except ValueError as exc:
                raise LabelledSetError(f"{where}: not JSON ({exc})") from None
            example = _example(raw, where)
            if example.id in ids:
                raise LabelledSetError(f"{where}: duplicate id {example.id!r}")
            ids.add(example.id)
            examples.append(example)
    if not examples:
        raise LabelledSetError(f"no labelled replies in {directory}")
    return examples


def of_split(examples: Iterable[Example], split: str) -> list[Example]:
    return [e for e in examples if e.split == split]


def fingerprint(examples: Sequence[Example]) -> str:
    """A short hash of the examples' ids, texts, labels and splits: it changes whenever the
    training data does."""
    digest = hashlib.sha256()
    for e in sorted(examples, key=lambda e: e.id):
        digest.update(f"{e.id}\x1f{e.category}\x1f{e.split}\x1f{e.text}\x1e".encode())
    return digest.hexdigest()[:10]
