"""``outbound linkedin``: the campaigns file, enrolment from a CSV or a table, and status."""

from __future__ import annotations

from pathlib import Path

from outbound_pipeline.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_campaigns_enrol_and_status(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OUTBOUND_WAREHOUSE_URL", f"duckdb:///{tmp_path / 'w.duckdb'}")
    bad = tmp_path / "bad.yaml"
    bad.write_text("campaigns:\n  - {campaign_id: uk, account_id: nobody, timezone: Mars/Base,"
                   " steps: [{message: hi, delay_days: 0}]}\n")
    assert main(["linkedin", "campaigns", str(bad), "--check"]) == 2
    error = capsys.readouterr().err
    assert "campaigns[0] (uk)" in error and "Mars/Base" in error and "nobody" in error

    example = ROOT / "linkedin_campaigns.example.yaml"
    assert main(["linkedin", "campaigns", str(example)]) == 0
    csv = tmp_path / "leads.csv"
    csv.write_text("linkedin_url,first_name,company\n"
                   "https://www.linkedin.com/in/jane-doe/,Jane,Acme\n"
                   ",Nobody,Acme\n")
    assert main(["linkedin", "enrol", "uk-cfo", str(csv)]) == 0
    out = capsys.readouterr().out
    assert "1 enrolled" in out and "row 2" in out and "LinkedIn identifier" in out

    from outbound_pipeline.warehouse import Warehouse

    wh = Warehouse.from_url(f"duckdb:///{tmp_path / 'w.duckdb'}")
    with wh.transaction() as tx:
        tx.execute("create table main.prospects as select 'ACoAAxyz' as provider_id, "
                   "'Li' as first_name, 'Globex' as company")
    assert main(["linkedin", "enrol", "uk-cfo", "--table", "main.prospects"]) == 0
    assert main(["linkedin", "enrol", "uk-cfo", "--table", "x; drop table y"]) == 2
    assert main(["linkedin", "status"]) == 0
    out = capsys.readouterr().out
    assert "uk-cfo: PENDING 2" in out
    assert "invites 0/25, messages 0/100" in out
