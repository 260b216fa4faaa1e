"""The databases `apbot` commands run on in these tests, named only by DATABASE_URL (as an
operator's would be): an SQLite file not yet migrated, the same migrated, and the demo data.
The migrated and demo files are copies of ones made once per run (migrating is slow)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import get_settings
from tests.support.cli import Apbot, Ran
from tests.support.database import TEST_KEY, Database

DATABASE = "apsafeguard.db"


def _use(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.delenv("ENCRYPTION_KEYS", raising=False)  # the key file beside the database
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)  # notices go to the log channel
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """A folder with a migrated file, the demo data loaded by `apbot seed-demo`, and its key."""
    folder = tmp_path_factory.mktemp("demo")
    shutil.copy(sqlite_template, folder / DATABASE)
    with pytest.MonkeyPatch.context() as patch:
        _use(patch, folder / DATABASE)
        assert main(["seed-demo", "--quiet"]) == 0
    get_settings.cache_clear()
    return folder


@pytest.fixture
def database_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An SQLite file the commands use (through DATABASE_URL), not yet migrated."""
    path = tmp_path / DATABASE
    _use(monkeypatch, path)
    yield path
    get_settings.cache_clear()


@pytest.fixture
def migrated(database_file: Path, sqlite_template: Path) -> Path:
    """The same file with every table created."""
    shutil.copy(sqlite_template, database_file)
    return database_file


@pytest.fixture
def demo(database_file: Path, demo_template: Path) -> Path:
    """The file with the demo schools, providers and pupils, and the key they are encrypted
    under beside it. The folder is returned, for files to import."""
    for made in demo_template.iterdir():
        shutil.copy2(made, database_file.parent / made.name)
    return database_file.parent


@pytest.fixture
async def apbot(
    db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> AsyncIterator[Apbot]:
    """`apbot` commands on the test's database (SQLite, and PostgreSQL when TEST_POSTGRES_URL
    is set), named by DATABASE_URL as an operator's would be. Each runs in a thread of its own,
    as from a shell (the command runs its own event loop); the test reads the records in `db`."""
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("ENCRYPTION_KEYS", TEST_KEY)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    get_settings.cache_clear()

    async def run(*argv: str) -> Ran:
        capsys.readouterr()
        code = await asyncio.to_thread(main, list(argv))
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    yield run
    get_settings.cache_clear()
