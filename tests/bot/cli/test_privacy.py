"""`apbot audit --placement`, `apbot purge` and `apbot rotate-key`, run in-process on the demo."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.common import CHANNEL

DATABASE = "apsafeguard.db"


def _one(folder: Path, query: str) -> tuple[object, ...]:
    with sqlite3.connect(folder / DATABASE) as connection:
        row = connection.execute(query).fetchone()
    assert row is not None
    return tuple(row)


def test_audit_shows_a_placement_s_trail_or_says_what_is_missing(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (reference,) = _one(demo, "SELECT reference FROM placements ORDER BY id LIMIT 1")

    assert main(["audit", "--placement", str(reference).lower(), "--json"]) == 0
    trail = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert trail and all("action" in entry for entry in trail)

    assert main(["audit", "--placement", "AP-NONE"]) == 2
    assert capsys.readouterr().err == "No placement AP-NONE.\n"
    assert main(["audit"]) == 2
    assert "Say which" in capsys.readouterr().err


def test_purge_dry_run_says_the_policy_and_removes_nothing(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _one(demo, "SELECT count(*) FROM placements")

    assert main(["purge", "--dry-run"]) == 0

    assert capsys.readouterr().out.startswith(
        "Retention: attendance 6 years; safeguarding records 25 years after a placement ends."
    )
    assert _one(demo, "SELECT count(*) FROM placements") == before


def test_rotate_key_rewrites_every_value_and_audits_it(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rotate-key"]) == 0

    assert capsys.readouterr().out.startswith("Re-encrypted ")
    channel, changes = _one(demo, "SELECT channel, changes FROM audit_log WHERE action = 'rotated'")
    assert channel == CHANNEL
    assert sum(json.loads(str(changes))["rewritten"].values()) > 0


def test_a_new_key_needs_no_database(
    database_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rotate-key", "--new-key"]) == 0

    captured = capsys.readouterr()
    assert len(captured.out.strip()) == 44  # a Fernet key
    assert "Put this key FIRST in ENCRYPTION_KEYS" in captured.err
    assert not database_file.exists()
