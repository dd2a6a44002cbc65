"""``outbound leads import``: a CSV through the health gate and routing into ops.leads; a file
with a bad row is refused whole, with every bad line named."""

from __future__ import annotations

import os
import subprocess
import sys

from outbound_pipeline.warehouse import Warehouse


def outbound(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OUTBOUND_DATA_DIR": str(tmp_path / "data"),
           "OUTBOUND_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'w.duckdb'}",
           "OUTBOUND_ROUTING_RULES": str(tmp_path / "none.yaml")}
    return subprocess.run([sys.executable, "-m", "outbound_pipeline.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_csv_import_refuses_a_file_with_bad_rows_and_stores_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Email,First Name,Lead Score\nana@acme.io,Ana,80\n,Bo,70\ncy@acme.io,Cy,high\n")
    done = outbound(tmp_path, "leads", "import", str(bad))
    assert done.returncode == 2
    assert "line 3" in done.stderr and "line 4" in done.stderr
    assert not (tmp_path / "w.duckdb").exists() or not Warehouse.from_url(
        f"duckdb:///{tmp_path / 'w.duckdb'}").table_exists("ops", "leads")


def test_csv_import_lands_every_row_once(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("email,first_name,company,persona,lead_score\n"
                    "ana@acme-corp.com,Ana,Acme,VP Sales,80\n"
                    "bo@mailinator.com,Bo,Acme,VP Sales,70\n")
    done = outbound(tmp_path, "leads", "import", str(good), "--organization", "acme")
    assert done.returncode == 0, done.stderr
    assert "2 new leads (0 assigned, 1 in the holding pool, 1 blocked)" in done.stdout
    again = outbound(tmp_path, "leads", "import", str(good), "--organization", "acme")
    assert "0 new leads" in again.stdout and "2 already imported" in again.stdout
    status = outbound(tmp_path, "leads", "status")
    assert "BLOCKED 1" in status.stdout and "HELD 1" in status.stdout
