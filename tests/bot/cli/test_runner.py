"""What every `apbot` command says when it cannot run, the same way for each (bot/cli/runner.py):
not migrated, the key missing, the database out of reach, a mistake on the command line (exit
code 2, no traceback), and our own failure (exit code 1 and an error id to quote)."""

from __future__ import annotations

import argparse
import logging
import re
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from bot.cli import main
from bot.cli.runner import NOT_MIGRATED, OUT_OF_DATE, run
from bot.settings import get_settings
from storage import crypto
from storage.migrate import alembic_config, upgrade
from tests.support.database import TEST_KEY

# Every command that reads or writes records, as an operator would type it.
ON_THE_DATABASE = [
    ["seed-demo"],
    ["people", "list"],
    ["people", "add", "--name", "Jo Bloggs", "--email", "jo@school.example", "--role", "admin"],
    ["orgs", "list"],
    ["chat", "--as", "teacher@oakfield.example"],
    ["tick", "--at", "01/12/2026 09:31"],
    ["nudges", "list"],
    ["nudges", "retry"],
    ["terms", "list"],
    ["audit", "verify"],
    ["purge", "--dry-run"],
    ["rotate-key"],
    ["marks", "--school", "Oakfield Academy", "--from", "23/11/2026", "--to", "27/11/2026"],
    ["aplist", "--school", "Oakfield Academy"],
    ["channels", "list"],
    ["serve"],
]


@pytest.mark.parametrize("command", ON_THE_DATABASE, ids=" ".join)
def test_every_command_on_a_database_not_migrated_says_run_migrate_first(
    database_file: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(command) == 1

    captured = capsys.readouterr()
    assert captured.err == NOT_MIGRATED + "\n"
    assert "run `apbot migrate` first" in captured.err
    assert captured.out == ""


def test_a_database_a_migration_behind_says_run_migrate_first(
    database_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{database_file}"
    scripts = ScriptDirectory.from_config(alembic_config(url))
    [head] = scripts.get_heads()
    previous = scripts.get_revision(head).down_revision
    assert isinstance(previous, str)
    upgrade(url, previous)

    assert main(["people", "list"]) == 1
    assert capsys.readouterr().err == OUT_OF_DATE + "\n"

    assert main(["migrate", "--quiet"]) == 0
    assert main(["people", "list"]) == 0
    assert "Nobody is set up yet" in capsys.readouterr().out


@pytest.mark.parametrize(
    "command",
    [["people", "list"], ["tick"], ["chat", "--as", "dsl@oakfield.example"], ["rotate-key"]],
    ids=" ".join,
)
def test_a_missing_key_file_stops_every_command_with_the_same_words(
    demo: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    crypto.key_file(demo).unlink()  # the demo's pupils' names are encrypted under it

    assert main(command) == 1

    captured = capsys.readouterr()
    assert captured.err.startswith(f"The encryption key file {crypto.key_file(demo)} is missing")
    assert "Put the key file back" in captured.err
    assert "Traceback" not in captured.err
    assert not crypto.key_file(demo).exists()  # never a new key over encrypted data


def test_postgresql_without_encryption_keys_is_told_what_to_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.delenv("ENCRYPTION_KEYS", raising=False)
    get_settings.cache_clear()
    try:
        assert main(["people", "list"]) == 1
    finally:
        get_settings.cache_clear()
    assert "Set ENCRYPTION_KEYS" in capsys.readouterr().err


def test_a_database_out_of_reach_is_said_plainly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("ENCRYPTION_KEYS", TEST_KEY)
    get_settings.cache_clear()
    try:
        assert main(["nudges", "list"]) == 1
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "The database could not be used:" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("at", "said"),
    [
        ("not a time", "--at: 'not a time' is not a day and time I can read"),
        ("31/02/2026 10:00", "--at: '31/02/2026 10:00' is not a day and time I can read"),
        ("01/12/2026", "write it like 01/12/2026 09:31 (or 2026-12-01 09:31)"),
    ],
)
def test_a_bad_time_for_tick_is_a_clear_message_and_exit_code_2(
    database_file: Path, at: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tick", "--at", at]) == 2

    captured = capsys.readouterr()
    assert said in captured.err
    assert "Traceback" not in captured.err
    assert captured.err.count("\n") == 1  # one line, said before the database is opened
    assert captured.out == ""


def test_tick_reads_the_time_in_every_way_the_help_offers(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for at in ("01/12/2026 10:01", "2026-12-01 10:01", "2026-12-01T10:01"):
        assert main(["tick", "--at", at, "--no-deliver"]) == 0
        assert capsys.readouterr().out.startswith("Tue 01/12/2026 10:01: ")


def test_bad_dates_for_marks_say_which_option_and_write_nothing(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = demo / "marks.csv"
    school = ["marks", "--school", "Oakfield Academy", "--out", str(out)]

    assert main([*school, "--from", "31/02/2026", "--to", "27/11/2026"]) == 2
    assert capsys.readouterr().err == (
        "--from: '31/02/2026' is not a real date. Try e.g. 27/11/2026.\n"
    )
    assert main([*school, "--from", "23/11/2026", "--to", "the end"]) == 2
    assert capsys.readouterr().err.startswith("--to: Please give a date like 27/11/2026")
    assert main([*school, "--from", "27/11/2026", "--to", "2026-11-23"]) == 2
    assert capsys.readouterr().err == "--to is before --from.\n"
    assert not out.exists()

    assert main([*school, "--from", "2026-11-23", "--to", "27/11/2026"]) == 0
    assert out.read_text(encoding="utf-8").startswith("date,")


def test_a_failure_of_ours_gives_an_error_id_to_quote_and_logs_it(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(args: argparse.Namespace) -> int:
        raise RuntimeError("a bug")

    with caplog.at_level(logging.ERROR, logger="apbot"):
        assert run(argparse.Namespace(command="tick", handler=broken)) == 1

    err = capsys.readouterr().err
    match = re.search(r"error id ([0-9a-f]{8})", err)
    assert match, err
    [record] = caplog.records
    assert match[1] in record.getMessage() and record.exc_info is not None
