"""What several `apbot` commands share: who made a change, tables, organisations named on the
command line, dates and times typed there (read by `dialogs.parsing`), files written."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.runner import Refused
from bot.runtime import Runtime
from dialogs.parsing import AnswerError, DateSense, parse_date, parse_date_time
from storage.clock import LONDON
from storage.models import Organisation
from storage.services import directory
from storage.services.audit import Change

CHANNEL = "cli"


def change(runtime: Runtime) -> Change:
    """A change made from the command line: no person, the `cli` channel, now."""
    return Change(person_id=None, channel=CHANNEL, at=runtime.clock.now())


def table(rows: Sequence[Sequence[str]], headings: Sequence[str]) -> str:
    """Plain columns, as wide as their widest value."""
    widths = [
        max(len(str(cell)) for cell in column) for column in zip(headings, *rows, strict=False)
    ]
    lines = [headings, *rows]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


async def organisation_named(session: AsyncSession, name_or_id: str) -> Organisation:
    """The organisation named on the command line, by name or id; `Refused` if there is none."""
    found = await directory.find_organisation(session, name_or_id)
    if found is None:
        raise Refused(
            f"No organisation is called (or numbered) {name_or_id}; see `apbot orgs list`."
        )
    return found


def day_option(text: str, option: str, *, today: dt.date) -> dt.date:
    """A date given as `--option`: `27/11/2026`, `2026-11-27`, `today` (as people type dates
    to the bot; a weekday is the last one)."""
    try:
        return parse_date(text, today=today, sense=DateSense.happened)
    except AnswerError as error:
        raise Refused(f"--{option}: {error}") from None


def london_time_option(text: str, option: str, *, today: dt.date) -> dt.datetime:
    """A London wall-clock time given as `--option`: `01/12/2026 09:31`, `2026-12-01 09:31`."""
    try:
        moment = parse_date_time(text, today=today, sense=DateSense.planned)
    except AnswerError as error:
        raise Refused(f"--{option}: {error}") from None
    return moment.replace(tzinfo=LONDON)


def write_out(text: str, out: str | None, what: str) -> None:
    """Print `text`, or write it to the file `out` and say so on stderr."""
    if out is None:
        sys.stdout.write(text)
        return
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as error:
        raise Refused(f"Can't write {out}: {error.strerror}.") from None
    print(f"Wrote {what} to {out}.", file=sys.stderr)


def read_in(path: Path) -> str:
    """The text of a file named on the command line (a spreadsheet's BOM dropped)."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise Refused(f"Can't read {path}: {error.strerror}.") from None
