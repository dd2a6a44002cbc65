"""Reply classification: quality on the held-out labelled replies and speed on one core.

Quality: macro-F1, per-category precision and recall and the confusion matrix of the embedded
classifier on the ``test`` split (never trained on), per language, and on replies composed by
the sandbox's own generator (a different writer, never trained on either). The confusion
matrix is drawn to ``docs/images/reply_confusion_matrix.png``.

Speed, side by side in one run, this process pinned to one core: the embedded classifier
(cleaning + rules + model) and its parts, beside the remote approach of the seed system (one
HTTP request per reply, RevReply style) and the batched remote API (32 replies per request),
both against the local fake API, so the network costs nothing and the figures are an upper
bound for a real remote.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from outbound_pipeline.http import RetryPolicy
from outbound_pipeline.replies.categories import CATEGORIES
from outbound_pipeline.replies.classifier import Reply, embedded_classifier
from outbound_pipeline.replies.cleaning import clean_reply
from outbound_pipeline.replies.evaluate import Evaluation, evaluate
from outbound_pipeline.replies.labelled import load_labelled, of_split
from outbound_pipeline.replies.remote import RemoteClassifier
from outbound_pipeline.sandbox.classifier_api import classifier_api_process
from outbound_pipeline_tests.benchmarks import machine

IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "reply_confusion_matrix.png"
SPEED_REPLIES = 20_000
REMOTE_REPLIES = 2_000
KEY = "bench-key"


def _sandbox_replies(n: int) -> tuple[list[str], list[str]]:
    from outbound_pipeline.sandbox.replies import (
        LANGUAGES,
        Person,
        SentEmail,
        choose_kind,
        compose_reply,
    )

    rng = random.Random(11)
    texts, kinds = [], []
    for i in range(n):
        lead = Person("Ana", "Ruiz", f"ana{i}@acme.io", "CTO", "Acme", "+1 555 0100")
        sent = SentEmail("Tom Reed", "tom@reachly.io", "Quick question",
                         "Hi Ana, would a quick call make sense?",
                         datetime(2026, 3, 3, 10, 14, tzinfo=UTC))
        kind = choose_kind(rng)
        reply = compose_reply(rng, kind=kind, language=rng.choice(LANGUAGES), lead=lead,
                              sent=sent, reply_time=datetime(2026, 3, 4, 9, tzinfo=UTC),
                              topic="contact data")
        texts.append(reply.html)
        kinds.append(kind)
    return texts, kinds


def _rate(run: Callable[[], list], replies: int, what: str,
          counted: Callable[[list], int] = len) -> dict[str, float]:
    """Replies/s of ``run()``, which must return one result per reply (``counted`` says how
    many of its results count as done)."""
    run()  # warm up (the model trains on first use)
    wall, cpu = time.perf_counter(), time.process_time()
    done = run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    machine.check_work(what, "replies", asked=replies, done=counted(done))
    return {"replies": replies, "seconds": round(wall, 3),
            "per_second": round(replies / wall), "cpu_per_second": round(replies / cpu)}


def _not_fallen_back(results: list) -> int:
    """Results the remote API gave (a reply empty after cleaning is never sent, and counts)."""
    return sum(1 for r in results if "fallback_reason" not in r.explanation)


def draw_confusion(quality: Evaluation, path: Path = IMAGE) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [c.replace("_", " ") for c in CATEGORIES]
    totals = [sum(row) or 1 for row in quality.confusion]
    shares = [[n / total for n in row] for row, total in zip(quality.confusion, totals,
                                                              strict=True)]
    fig, ax = plt.subplots(figsize=(8.5, 7))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=40, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true (held-out labelled replies)")
    for i, row in enumerate(quality.confusion):
        for j, n in enumerate(row):
            if n:
                ax.text(j, i, str(n), ha="center", va="center",
                        color="white" if shares[i][j] > 0.5 else "black", fontsize=9)
    ax.set_title(f"Embedded reply classifier: macro-F1 {quality.macro_f1:.3f} on "
                 f"{quality.examples} held-out replies")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def measure(workdir: Path) -> dict[str, Any]:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    labelled = load_labelled()
    held_out = of_split(labelled, "test")
    classifier = embedded_classifier()
    quality = evaluate(classifier, [e.text for e in held_out], [e.category for e in held_out])
    machine.check_work("held-out quality", "replies classified", asked=max(len(held_out), 1),
                       done=quality.examples)
    by_language = {}
    for language in sorted({e.language for e in held_out}):
        part = [e for e in held_out if e.language == language]
        by_language[language] = round(evaluate(
            classifier, [e.text for e in part], [e.category for e in part]).macro_f1, 3)
    sandbox_texts, sandbox_kinds = _sandbox_replies(2_000)
    sandbox = evaluate(classifier, sandbox_texts, sandbox_kinds)
    machine.check_work("sandbox replies", "replies classified", asked=len(sandbox_texts),
                       done=sandbox.examples)
    print("  reply classifier: quality measured, drawing the confusion matrix …", flush=True)
    image = draw_confusion(quality)

    corpus = [e.text for e in labelled] + sandbox_texts
    texts = [corpus[i % len(corpus)] for i in range(SPEED_REPLIES)]
    cleaned = [clean_reply(t) for t in texts]
    replies = [Reply(c) for c in cleaned]
    speed = {name: _rate(run, len(texts), name) for name, run in (
        ("embedded (clean + rules + model)",
         lambda: classifier.classify([Reply.of_text(t) for t in texts])),
        ("cleaning only", lambda: [clean_reply(t) for t in texts]),
        ("rules + model on cleaned text", lambda: classifier.classify(replies)),
    )}
    print("  reply classifier: remote APIs against the local fake …", flush=True)
    remote_texts = texts[:REMOTE_REPLIES]
    with classifier_api_process(KEY) as api:
        for style, label in (("revreply", "remote, one request per reply (seed system)"),
                             ("batch", "remote, 32 replies per request")):
            remote = RemoteClassifier(api.urls[style], KEY, style=style, fallback=classifier,
                                      requests_per_second=100_000,
                                      retry=RetryPolicy(max_attempts=2))
            speed[label] = _rate(
                lambda remote=remote: remote.classify([Reply.of_text(t) for t in remote_texts]),
                len(remote_texts), label, counted=_not_fallen_back)
            speed[label]["fallbacks"] = remote.fallbacks
            remote.close()
    return {"when": machine.today(), "machine": machine.describe(), "quality": quality,
            "by_language": by_language, "sandbox": sandbox, "speed": speed, "image": image,
            "train": len(of_split(labelled, "train")), "labelled": len(labelled)}


def render(results: dict[str, Any]) -> str:
    quality: Evaluation = results["quality"]
    sandbox: Evaluation = results["sandbox"]
    speed = results["speed"]
    embedded = speed["embedded (clean + rules + model)"]
    lines = [
        f"## Reply classification ({results['when']})",
        "",
        f"Machine: {results['machine']}. Benchmark process pinned to one core.",
        "",
        f"Embedded classifier `{quality.classifier_version}`, trained on the "
        f"{results['train']:,} `train` replies of the {results['labelled']:,} labelled ones; "
        f"measured on the {quality.examples} held-out `test` replies (never trained on).",
        "",
        f"- **macro-F1 {quality.macro_f1:.3f}** (goal ≥ 0.90: "
        f"{'met' if quality.macro_f1 >= 0.90 else 'NOT met'}), accuracy "
        f"{quality.accuracy:.3f}; by language: "
        + ", ".join(f"{k} {v:.3f}" for k, v in results["by_language"].items()) + ".",
        f"- Decided by a rule: {quality.methods.get('rule', 0)}, by the model: "
        f"{quality.methods.get('model', 0)}, empty after cleaning: "
        f"{quality.methods.get('empty', 0)}.",
        f"- On {sandbox.examples:,} replies written by the sandbox's own generator (another "
        f"writer, never trained on): macro-F1 {sandbox.macro_f1:.3f}, accuracy "
        f"{sandbox.accuracy:.3f}.",
        "",
        "| category | precision | recall | F1 | held-out replies |",
        "|---|---|---|---|---|",
    ]
    for category, m in quality.per_category.items():
        lines.append(f"| {category} | {m['precision']:.3f} | {m['recall']:.3f} | "
                     f"{m['f1']:.3f} | {m['support']} |")
    lines += [
        "",
        "Confusion matrix (rows true, columns predicted):",
        "",
        "![confusion matrix](images/reply_confusion_matrix.png)",
        "",
        quality.confusion_markdown(),
        "",
        "Speed (wall clock on one core; CPU-time rate beside it):",
        "",
        "| approach | replies | replies/s | replies/s of CPU |",
        "|---|---|---|---|",
    ]
    for name, s in speed.items():
        lines.append(f"| {name} | {s['replies']:,} | {s['per_second']:,} | "
                     f"{s['cpu_per_second']:,} |")
    met = embedded["per_second"] >= 2000
    lines += [
        "",
        f"Goal ≥ 2,000 replies/s on one core: {'met' if met else 'NOT met'} "
        f"({embedded['per_second']:,}/s). The remote rows talk to a fake API on loopback, so "
        "they show the client's cost per request without any network or model time; a real "
        "remote is slower still. Every remote reply was answered (fallbacks: "
        + ", ".join(str(s.get("fallbacks", 0)) for n, s in speed.items() if "remote" in n)
        + ").",
        "",
    ]
    return "\n".join(lines)
