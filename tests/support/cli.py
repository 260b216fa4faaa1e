"""Running `apbot` commands in a test (the `apbot` fixture of tests/bot/cli/conftest.py) and
the sample files they import (`docs/samples/`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
STAFF_SAMPLE = SAMPLES / "staff.csv"
PUPILS_SAMPLE = SAMPLES / "pupils.csv"
GIAS_SAMPLE = SAMPLES / "gias_sample.csv"


@dataclass(frozen=True)
class Ran:
    """What one `apbot` command did: its exit code and what it printed."""

    code: int
    out: str
    err: str


# `await apbot("import", "staff", ...)`: one command, as typed in a shell.
Apbot = Callable[..., Awaitable[Ran]]


def write_csv(folder: Path, name: str, *lines: str, encoding: str = "utf-8") -> Path:
    """A CSV file of `lines` (the heading first), as a spreadsheet saves it."""
    path = folder / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path
