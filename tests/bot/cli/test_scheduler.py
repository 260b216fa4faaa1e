"""`apbot terms ...`, `apbot tick --at ...` and `apbot nudges list`, run in-process, on the demo
data with no Slack or Teams (so notices go to the log channel)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main


def test_term_dates_are_imported_listed_and_respected(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = demo / "terms.csv"
    csv.write_text("name,first_day,last_day\nChristmas holidays,21/12/2026,01/01/2027\n")
    assert main(["terms", "import", str(csv), "--org", "Northbrook Borough Council"]) == 0
    assert main(["terms", "import", str(csv), "--org", "Northbrook Borough Council"]) == 0
    out = capsys.readouterr().out
    assert "1 term break(s) added, 0 already there" in out
    assert "0 term break(s) added, 1 already there" in out
    assert main(["terms", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {
            "organisation": "Northbrook Borough Council",
            "name": "Christmas holidays",
            "first_day": "2026-12-21",
            "last_day": "2027-01-01",
        }
    ]
    # In the LA's Christmas break: no digest, no reminders, no register prompt (an open welfare
    # call is still escalated: safeguarding does not wait for term).
    assert main(["tick", "--at", "2026-12-22 10:00"]) == 0
    assert "and 0 digest(s) queued" in capsys.readouterr().out
    assert main(["nudges", "list", "--json"]) == 0
    kinds = {row["kind"] for row in json.loads(capsys.readouterr().out)}
    assert kinds.isdisjoint(
        {"digest", "register_prompt", "no_report", "check_overdue", "qa_overdue"}
    )

    bad = demo / "bad.csv"
    bad.write_text("name,first_day,last_day\nHalf term,31/02/2027,04/03/2027\n")
    assert main(["terms", "import", str(bad), "--org", "Oakfield Academy"]) == 2
    assert "Line 2: first_day '31/02/2027' is not a real date" in capsys.readouterr().err
    assert main(["terms", "import", str(csv), "--org", "Nowhere School"]) == 2
    assert "No organisation is called (or numbered) Nowhere School" in capsys.readouterr().err
    assert main(["terms", "import", str(demo / "missing.csv"), "--org", "Oakfield Academy"]) == 2
    assert "Can't read" in capsys.readouterr().err


def test_tick_sends_through_the_log_and_nudges_list_shows_the_outbox(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tick", "--at", "2026-12-01 10:01"]) == 0
    summary = capsys.readouterr().out
    assert summary.startswith("Tue 01/12/2026 10:01:") and "parked" in summary
    assert main(["tick", "--at", "2026-12-01 10:02"]) == 0
    assert "0 nudge(s) and 0 digest(s) queued, 0 unreached welfare call(s) raised; 0 sent" in (
        capsys.readouterr().out
    )

    assert main(["nudges", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len({r["id"] for r in rows}) == len(rows)  # what a terminal's nudge press names
    assert {"key", "kind", "recipient", "due", "status", "attempts", "last_error"} <= set(rows[0])
    digests = [r for r in rows if r["kind"] == "digest"]
    assert {r["recipient"] for r in digests} >= {
        "dsl@oakfield.example",
        "officer@northbrook.example",
    }
    assert all(r["status"] == "sent" and r["delivered_via"] == "log" for r in digests)
    assert [r["due"] for r in digests if r["recipient"] == "dsl@oakfield.example"] == [
        "2026-12-01T08:00+00:00"
    ]
    assert any(r["kind"] == "no_report_dsl" for r in rows)
    assert main(["nudges", "list"]) == 0
    assert "key" in capsys.readouterr().out
    assert main(["tick", "--at", "not a time"]) == 2


def test_reminders_prepared_ahead_are_listed_as_held_until_the_reminder_time(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 06:30: the day's reminders are prepared, due 08:30, not yet reconciled: shown as held.
    assert main(["tick", "--at", "2026-12-01 06:30"]) == 0
    capsys.readouterr()
    assert main(["nudges", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    held = [r for r in rows if r["held"]]
    assert held and all(r["status"] == "pending" for r in held)
    assert all(r["due"] == "2026-12-01T08:30+00:00" for r in held)
    assert main(["nudges", "list"]) == 0
    assert " held " in capsys.readouterr().out
    # 08:31: reconciled and released (and sent through the log): none is held any more.
    assert main(["tick", "--at", "2026-12-01 08:31"]) == 0
    capsys.readouterr()
    assert main(["nudges", "list", "--json"]) == 0
    assert not [r for r in json.loads(capsys.readouterr().out) if r["held"]]
