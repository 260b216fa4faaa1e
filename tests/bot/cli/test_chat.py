"""`apbot chat --json` as a script would use it: a real process, stdin piped to the end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def apbot(
    args: list[str], *, env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder: Path = tmp_path_factory.mktemp("cli")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder}/demo.db"}
    assert apbot(["migrate"], env=env).returncode == 0
    seeded = apbot(["seed-demo", "--if-empty"], env=env)
    assert seeded.returncode == 0, seeded.stderr
    return env


def test_a_piped_json_script_runs_to_the_end(demo_env: dict[str, str]) -> None:
    script = "\n".join(["help", '{"text": "status"}', "start", "cancel", "no such command"]) + "\n"
    result = apbot(
        ["chat", "--as", "teacher@oakfield.example", "--json"], env=demo_env, stdin=script
    )
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out[0]["type"] == "done" and out[0]["dialog"] == "help"
    assert out[1]["type"] == "done" and out[1]["dialog"] == "status"
    started = [o for o in out if o["type"] == "prompt"]
    assert started and started[0]["field"] == "pupil" and started[0]["kind"] == "choice"
    assert {"value", "label"} <= set(started[0]["choices"][0])
    assert any(o["type"] == "message" and "Nothing was saved" in o["text"] for o in out)
    assert out[-1]["type"] == "error" and "Type help" in out[-1]["text"]


def test_an_unknown_person_is_told_how_to_get_access(demo_env: dict[str, str]) -> None:
    result = apbot(
        ["chat", "--as", "stranger@nowhere.example", "--json"], env=demo_env, stdin="help\n"
    )
    assert result.returncode == 1
    reply = json.loads(result.stdout.splitlines()[0])
    assert reply["type"] == "error" and "admin" in reply["text"]


def test_human_mode_shows_numbered_choices(demo_env: dict[str, str]) -> None:
    result = apbot(["chat", "--as", "dsl@oakfield.example"], env=demo_env, stdin="start\n")
    assert result.returncode == 0, result.stderr
    assert "Which pupil is being placed?" in result.stdout
    assert "  1. " in result.stdout and "Add a new pupil" in result.stdout
    assert "Anything you were in the middle of is kept" in result.stdout
