"""``outbound replies``: try the classifier on a file, or classify every stored reply again.

``outbound replies classify FILE`` reads JSON lines with a ``text`` field (optionally
``subject``) and writes each line back with ``reply_category``, ``confidence``,
``explanation`` and the rest of the classification added, so a team can measure the
classifier on its own labelled replies first (``--label-field`` prints precision, recall and
macro-F1 against a field of the file). Every line is checked before anything is written: a
line that is not a JSON object with a text is reported with its number and nothing is output.

``outbound replies reclassify`` runs ``classify_replies_job`` with ``reclassify: true`` on the
configured warehouse and Dagster instance: every reply is classified again by the configured
classifier.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

ADDED_FIELDS = ("reply_category", "sentiment", "is_positive", "confidence", "classifier",
                "classifier_version", "method", "explanation", "is_auto_reply", "is_bounce",
                "return_date", "referred_name", "referred_email", "cleaned_text")


def add_arguments(commands: Any) -> None:
    p = commands.add_parser("replies", help="reply classification")
    sub = p.add_subparsers(dest="replies_command", required=True)

    c = sub.add_parser("classify", help="classify JSON lines with a text field (no warehouse)")
    c.add_argument("file", type=Path, help="JSON lines; '-' for standard input")
    c.add_argument("-o", "--output", type=Path, default=None,
                   help="write here instead of standard output")
    c.add_argument("--label-field", default=None,
                   help="a field holding the expected category: print quality figures")
    c.add_argument("--remote", action="store_true",
                   help="use the configured remote classifier (OUTBOUND_REPLY_CLASSIFIER_URL) "
                        "with the embedded fallback, instead of the embedded classifier")
    c.set_defaults(func=classify_file)

    r = sub.add_parser("reclassify",
                       help="classify every stored reply again (classify_replies_job)")
    r.set_defaults(func=reclassify)


class InputError(ValueError):
    pass


def read_lines(stream: TextIO, label_field: str | None) -> list[dict[str, Any]]:
    """Every line as an object; raises InputError naming every bad line."""
    records, problems = [], []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            problems.append(f"line {number}: not JSON ({exc.msg})")
            continue
        if not isinstance(record, dict):
            problems.append(f"line {number}: not a JSON object")
        elif not isinstance(record.get("text"), str):
            problems.append(f"line {number}: no \"text\" string")
        elif label_field and not isinstance(record.get(label_field), str):
            problems.append(f"line {number}: no {label_field!r} string")
        else:
            records.append(record)
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise InputError(f"{len(problems)} unusable line(s), nothing written:\n  {shown}{more}")
    return records


def classify_file(args: argparse.Namespace) -> int:
    import os

    from outbound_pipeline.replies.classifier import Reply, embedded_classifier
    from outbound_pipeline.replies.remote import classifier_for
    from outbound_pipeline.settings import REPLY_CLASSIFIER_KEY_VARIABLE, load_settings

    try:
        if str(args.file) == "-":
            records = read_lines(sys.stdin, args.label_field)
        else:
            with args.file.open(encoding="utf-8") as stream:
                records = read_lines(stream, args.label_field)
    except (OSError, InputError) as exc:
        print(f"outbound replies classify: {exc}", file=sys.stderr)
        return 2
    if args.remote:
        classifier, _ = classifier_for(load_settings(),
                                       os.environ.get(REPLY_CLASSIFIER_KEY_VARIABLE))
    else:
        classifier = embedded_classifier()
    replies = [Reply.of_text(r["text"], r.get("subject") if isinstance(r.get("subject"), str)
                             else None) for r in records]
    results = classifier.classify(replies)
    out = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    try:
        for record, reply, result in zip(records, replies, results, strict=True):
            added = {**result.as_dict(), "cleaned_text": reply.cleaned.text}
            out.write(json.dumps({**record, **{k: added[k] for k in ADDED_FIELDS}},
                                 ensure_ascii=False) + "\n")
    finally:
        if args.output:
            out.close()
    if args.label_field:
        _report([r[args.label_field] for r in records], [r.reply_category for r in results])
    return 0


def _report(expected: list[str], predicted: list[str]) -> None:
    from sklearn.metrics import precision_recall_fscore_support

    labels = sorted(set(expected) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(
        expected, predicted, labels=labels, zero_division=0)
    present = [i for i, n in enumerate(support) if n]
    macro = sum(f1[i] for i in present) / len(present) if present else 0.0
    accuracy = sum(e == p for e, p in zip(expected, predicted, strict=True)) / len(expected)
    print(f"{len(expected)} replies: macro-F1 {macro:.3f}, accuracy {accuracy:.3f}",
          file=sys.stderr)
    for i, label in enumerate(labels):
        print(f"  {label:<16} precision {precision[i]:.2f}  recall {recall[i]:.2f}  "
              f"n={support[i]}", file=sys.stderr)


def reclassify(args: argparse.Namespace) -> int:
    from dagster import DagsterInstance

    from outbound_pipeline.cli import _run_job, ensure_dagster_home
    from outbound_pipeline.definitions import build_definitions
    from outbound_pipeline.settings import load_settings

    settings = load_settings()
    ensure_dagster_home(settings)
    with DagsterInstance.get() as instance:
        mats = _run_job(build_definitions(settings), "classify_replies_job", instance,
                        run_config={"ops": {"classified_replies": {
                            "config": {"reclassify": True}}}})
    meta = mats.get("classified_replies", {})
    print(f"classified {meta.get('replies_classified', 0):,} replies again "
          f"({meta.get('replies_due', 0):,} stored) with {meta.get('classifier_version')}")
    return 0
