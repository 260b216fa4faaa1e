"""Attack (or accident): the key file beside the SQLite database is lost, or the bot is given a
key that is not the one the data was written with. Before, a new key was made silently, every
turn then failed, and /healthz said ok. Now the bot stops at once, saying what is wrong and
what to do, never makes a key over encrypted data, and /healthz answers 503."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.runtime import Runtime
from bot.server import build_app
from bot.settings import Settings
from storage import crypto
from tests.support.factories import build_world


def apbot(
    args: list[str], *, env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The embedded default, as `make run` leaves it: a demo database and its key file."""
    folder = tmp_path_factory.mktemp("keys") / "data"
    env = {k: v for k, v in os.environ.items() if k != "ENCRYPTION_KEYS"}
    env |= {
        "DATABASE_URL": f"sqlite:///{folder}/apsafeguard.db",
        "SCHEDULER_ENABLED": "false",
        "PORT": str(_free_port()),
        "REPORTS_DIR": str(folder / "reports"),
    }
    assert apbot(["migrate"], env=env).returncode == 0
    seeded = apbot(["seed-demo", "--if-empty"], env=env)
    assert seeded.returncode == 0, seeded.stderr
    assert (folder / "encryption.key").exists()
    return folder, env


def test_a_lost_key_file_stops_the_bot_and_no_new_key_is_made(demo) -> None:  # type: ignore[no-untyped-def]
    folder, env = demo
    key = folder / "encryption.key"
    kept = key.read_bytes()
    key.unlink()
    try:
        for command in (["serve"], ["chat", "--as", "dsl@oakfield.example", "--json"]):
            result = apbot(command, env=env, stdin="status\n")
            assert result.returncode == 1, (command, result.stdout)
            assert f"The encryption key file {key} is missing" in result.stderr
            assert "Put the key file back" in result.stderr
            assert not key.exists()  # no new key made over the encrypted data
    finally:
        key.write_bytes(kept)
    result = apbot(["chat", "--as", "dsl@oakfield.example", "--json"], env=env, stdin="help\n")
    assert result.returncode == 0, result.stderr  # the key back: all is well


def test_a_key_that_does_not_open_the_data_stops_the_bot(demo) -> None:  # type: ignore[no-untyped-def]
    _, env = demo
    wrong = {**env, "ENCRYPTION_KEYS": crypto.new_key()}
    result = apbot(["serve"], env=wrong)
    assert result.returncode == 1
    assert "The encryption key does not open this database" in result.stderr


async def test_healthz_says_when_the_key_does_not_decrypt(db, clock) -> None:
    await build_world(db, clock)  # pupils' names, encrypted under the test key
    runtime = Runtime(Settings(_env_file=None, database_url=db.url), db.engine, db.sessions, clock)  # type: ignore[call-arg]
    async with TestClient(TestServer(build_app(runtime))) as client:
        response = await client.get("/healthz")
        assert response.status == 200

        crypto.configure([crypto.new_key()])  # the key changed under a running bot
        response = await client.get("/healthz")
        body = await response.json()
    assert response.status == 503
    assert body["status"] == "unhealthy" and body["encryption"] == "wrong key"
    assert body["reason"] == "The encryption key does not decrypt the stored data."
