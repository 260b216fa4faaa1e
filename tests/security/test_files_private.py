"""Attack: another user of the same machine (a shared server, a school laptop with several
accounts) reads the SQLite database, its -wal and -shm, the key file, or the exports the
terminal saved (a pupil's full record), which were readable by everyone and never removed.
Now they are 0600 in 0700 folders, and exports go after EXPORTS_KEEP_HOURS."""

from __future__ import annotations

import datetime as dt
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli.chat import chat
from bot.runtime import Runtime, open_runtime
from bot.scheduler.background import scheduler_for
from bot.settings import Settings, get_settings
from storage.migrate import upgrade_async
from storage.models import Pupil
from tests.support.chat import JsonChat
from tests.support.factories import build_world, place


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def everyone_reads() -> Iterator[None]:
    """The usual umask: without care, new files are readable by every local user."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


async def test_the_database_its_companions_and_key_are_private(
    tmp_path: Path, everyone_reads: None
) -> None:
    folder = tmp_path / "data"
    settings = Settings(_env_file=None, database_url=f"sqlite:///{folder}/apsafeguard.db")  # type: ignore[call-arg]
    await upgrade_async(settings.database_url)  # `apbot migrate` on a fresh machine
    async with open_runtime(settings) as runtime:
        async with runtime.sessions() as session:
            assert list(await session.scalars(select(Pupil))) == []
        assert mode(folder) == 0o700
        for name in ("apsafeguard.db", "apsafeguard.db-wal", "apsafeguard.db-shm"):
            assert mode(folder / name) == 0o600, name
        assert mode(folder / "encryption.key") == 0o600


async def test_a_database_left_readable_is_closed_when_opened(
    tmp_path: Path, everyone_reads: None
) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    database = folder / "apsafeguard.db"
    database.touch(mode=0o644)
    os.chmod(folder, 0o755)
    os.chmod(database, 0o644)
    settings = Settings(_env_file=None, database_url=f"sqlite:///{database}")  # type: ignore[call-arg]
    async with open_runtime(settings) as runtime, runtime.engine.connect():
        assert mode(folder) == 0o700 and mode(database) == 0o600
        assert mode(folder / "apsafeguard.db-wal") == 0o600


async def test_an_export_is_private_and_removed_after_the_set_time(
    db, clock, tmp_path: Path, everyone_reads: None
) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session, clock, by=world.teacher, pupil=world.pupil, provider=world.provider,
            start=dt.date(2026, 11, 2),
        )  # fmt: skip
    reports = tmp_path / "reports"
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    chat.channel.files_dir = reports
    assert (await chat.say(f"export {placement.reference}"))[-1]["field"] == "confirm"
    out = await chat.say("yes")
    assert out[-1]["type"] == "done", out[-1]
    saved = sorted(reports.iterdir())
    assert [p.suffix for p in saved] == [".json", ".pdf"]
    assert mode(reports) == 0o700
    assert all(mode(p) == 0o600 for p in saved)

    # The scheduler removes exports older than EXPORTS_KEEP_HOURS (24 by default), not newer.
    settings = Settings(_env_file=None, database_url=db.url, reports_dir=str(reports))  # type: ignore[call-arg]
    runtime = Runtime(settings, db.engine, db.sessions, clock)
    fresh = reports / "governors-report-autumn.pdf"
    fresh.write_bytes(b"%PDF")
    written = clock.now().timestamp()
    for path in saved:
        os.utime(path, (written - 25 * 3600, written - 25 * 3600))
    os.utime(fresh, (written - 23 * 3600, written - 23 * 3600))
    report = await scheduler_for(runtime, []).run_pass()
    assert report.exports_removed == 2
    assert sorted(reports.iterdir()) == [fresh]

    clock.advance(dt.timedelta(hours=2))
    assert (await scheduler_for(runtime, []).run_pass()).exports_removed == 1
    assert list(reports.iterdir()) == []


async def test_exports_past_their_time_are_removed_when_the_terminal_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "data"
    reports = folder / "reports"
    reports.mkdir(parents=True)
    old, new = reports / "pupil-record-AP-7K3Q-20261120.pdf", reports / "aplist.csv"
    for path in (old, new):
        path.write_bytes(b"x")
    now = time.time()  # `apbot chat` runs on the system clock
    os.utime(old, (now - 7 * 3600, now - 7 * 3600))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{folder}/apsafeguard.db")
    monkeypatch.setenv("REPORTS_DIR", str(reports))
    monkeypatch.setenv("EXPORTS_KEEP_HOURS", "6")
    monkeypatch.delenv("ENCRYPTION_KEYS", raising=False)
    get_settings.cache_clear()
    try:
        await upgrade_async(f"sqlite:///{folder}/apsafeguard.db")
        assert await chat("nobody@nowhere.example", json_mode=True) == 1  # started, then refused
    finally:
        get_settings.cache_clear()
    assert list(reports.iterdir()) == [new]
