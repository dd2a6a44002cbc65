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


def test_status_counts_the_limits_used_on_the_account_day_of_now(tmp_path, monkeypatch, capsys):
    from datetime import date

    from outbound_pipeline.linkedin_store import reserve
    from outbound_pipeline.warehouse import Warehouse

    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    monkeypatch.setenv("OUTBOUND_WAREHOUSE_URL", url)
    assert main(["linkedin", "campaigns", str(ROOT / "linkedin_campaigns.example.yaml")]) == 0
    wh = Warehouse.from_url(url)
    account = "t5XY4-ab12Cd"  # Europe/London in the example file
    for action, units in (("invite", 3), ("message", 1)):
        for _ in range(units):
            assert reserve(wh, account, date(2025, 3, 2), action, 25)
    assert reserve(wh, account, date(2025, 3, 3), "invite", 25)
    capsys.readouterr()

    def line(now: str) -> str:
        assert main(["linkedin", "status", "--now", now]) == 0
        return next(x for x in capsys.readouterr().out.splitlines() if x.startswith("account"))

    # 23:30 UTC is still 2 March in London; 23:30 in New York is already 3 March there.
    assert line("2025-03-02T23:30:00+00:00") == (
        f"account {account} (2025-03-02, Europe/London): invites 3/25, messages 1/100")
    assert line("2025-03-02T23:30:00-05:00") == (
        f"account {account} (2025-03-03, Europe/London): invites 1/25, messages 0/100")
    assert line("2025-03-02") == (
        f"account {account} (2025-03-02, Europe/London): invites 3/25, messages 1/100")
    assert line("2025-03-04T09:00:00+00:00").endswith("invites 0/25, messages 0/100")

    assert main(["linkedin", "status", "--now", "2025-03-02T23:30:00"]) == 2
    assert "UTC offset" in capsys.readouterr().err
    assert main(["linkedin", "status", "--now", "yesterday"]) == 2
    assert "ISO-8601" in capsys.readouterr().err
