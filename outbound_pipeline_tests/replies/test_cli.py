"""``outbound replies classify FILE``: lines back with the classification, bad input refused
whole with line numbers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def outbound(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "outbound_pipeline.cli", *args], input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_classify_writes_every_line_back_with_category_confidence_and_explanation(tmp_path):
    source = tmp_path / "replies.jsonl"
    lines = [
        {"id": 1, "text": "Please take me off your list.", "label": "unsubscribe"},
        {"id": 2, "text": "Klingt spannend, schicken Sie mir bitte Unterlagen.",
         "label": "interested"},
        {"id": 3, "text": "Réponse automatique : absent jusqu'au 16 mars.",
         "subject": "Absent", "label": "out_of_office"},
    ]
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    target = tmp_path / "out.jsonl"
    done = outbound("replies", "classify", str(source), "-o", str(target),
                    "--label-field", "label")
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in target.read_text().splitlines()]
    assert [o["id"] for o in out] == [1, 2, 3]
    assert [o["reply_category"] for o in out] == [o["label"] for o in out]
    assert all(0 < o["confidence"] <= 1 and o["explanation"] for o in out)
    assert out[0]["explanation"].startswith("rule unsubscribe")
    assert "macro-F1 1.000" in done.stderr


def test_bad_lines_are_reported_with_their_numbers_and_nothing_is_written(tmp_path):
    target = tmp_path / "out.jsonl"
    done = outbound("replies", "classify", "-", "-o", str(target),
                    stdin='{"text": "ok"}\nnot json\n[1, 2]\n{"text": 3}\n')
    assert done.returncode == 2
    assert "3 unusable line(s), nothing written" in done.stderr
    for number in (2, 3, 4):
        assert f"line {number}:" in done.stderr
    assert not target.exists()


def test_a_missing_file_is_a_clear_error(tmp_path):
    done = outbound("replies", "classify", str(Path(tmp_path) / "nope.jsonl"))
    assert done.returncode == 2 and "nope.jsonl" in done.stderr
