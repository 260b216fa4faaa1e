"""Reading an imported CSV: its text (UTF-8, with or without a BOM, or Windows-1252 as GIAS
writes it), its columns found by the names MIS exports give them, each line with its number,
and what an import did (`ImportReport`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from storage.services.directory import DirectoryError

TRUE_WORDS = frozenset({"y", "yes", "true", "1", "t"})
FALSE_WORDS = frozenset({"", "n", "no", "false", "0", "f"})


class ImportRefused(DirectoryError):
    """The file as a whole cannot be imported (unreadable, a column missing): nothing changed."""


@dataclass(frozen=True)
class Line:
    """One line of the file: its number (the heading is line 1) and its values by field."""

    number: int
    values: dict[str, str]


@dataclass(frozen=True)
class BadLine:
    """A line refused, and why, in words the person who made the file can act on."""

    number: int
    reason: str


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    what: str  # "staff", "pupils", "establishments"
    dry_run: bool = False
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[BadLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Records of the same kind already held that no line of the file matched.
    not_in_file: int = 0

    def refuse(self, number: int, reason: str) -> None:
        self.refused.append(BadLine(number, reason))

    def summary(self) -> str:
        """The report as the command prints it: refused lines first, then the counts."""
        lines = [f"line {bad.number}: {bad.reason}" for bad in self.refused]
        lines += self.notes
        verb = "Would import" if self.dry_run else "Imported"
        lines.append(
            f"{verb} {self.what}: {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.refused)} refused."
        )
        if self.not_in_file:
            are = "is" if self.not_in_file == 1 else "are"
            lines.append(
                f"{self.not_in_file} in the database {are} not in this file; nothing was removed."
            )
        if self.dry_run:
            lines.append("Dry run: nothing was changed.")
        return "\n".join(lines)


def decode(data: bytes) -> str:
    """The text of a file: UTF-8 (a spreadsheet's BOM dropped), else Windows-1252 (GIAS)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def heading_key(heading: str) -> str:
    """A column heading reduced to letters and digits, so `Date of Birth`, `DOB ` and
    `date_of_birth` can be named once."""
    return re.sub(r"[^a-z0-9]", "", heading.lower())


def read_lines(
    text: str,
    columns: Mapping[str, Sequence[str]],
    *,
    required: Sequence[str],
    labels: Mapping[str, str],
    one_of: Sequence[str] = (),
) -> list[Line]:
    """The file's lines, each with the values of `columns` (field: headings it may have). A
    column in `required` that the heading lacks, or none of `one_of`, refuses the whole file;
    blank lines are skipped."""
    reader = csv.reader(io.StringIO(text))
    try:
        headings = next(reader)
    except StopIteration:
        raise ImportRefused(
            "The file is empty: it needs a heading line, then one line each."
        ) from None
    except csv.Error as error:
        raise ImportRefused(f"line 1: this is not a CSV file we can read ({error}).") from None
    where: dict[str, int] = {}
    keys = [heading_key(heading) for heading in headings]
    for name, accepted in columns.items():
        for heading in accepted:
            if heading_key(heading) in keys:
                where[name] = keys.index(heading_key(heading))
                break
    missing = [name for name in required if name not in where]
    if one_of and not any(name in where for name in one_of):
        missing.append(one_of[0])
    if missing:
        wanted = "; ".join(
            f"{labels[name]} (a column headed {' or '.join(repr(h) for h in columns[name][:3])})"
            for name in missing
        )
        raise ImportRefused(f"The file has no column for: {wanted}. Nothing was imported.")
    lines = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            values = {
                name: (row[index].strip() if index < len(row) else "")
                for name, index in where.items()
            }
            lines.append(Line(reader.line_num, values))
    except csv.Error as error:
        raise ImportRefused(f"line {reader.line_num}: {error}. Nothing was imported.") from None
    return lines


def why(error: ValidationError, labels: Mapping[str, str]) -> str:
    """A pydantic error as one sentence per field, in the file's words."""
    parts = []
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else ""
        message = str(problem["msg"]).removeprefix("Value error, ")
        parts.append(f"{labels.get(name, name)}: {message}" if name else message)
    return "; ".join(parts)


def yes_no(text: str, what: str) -> bool:
    """A flag as MIS exports write it: Yes/No, Y/N, True/False, 1/0, or empty (no)."""
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{text!r} is not yes or no")


def day(text: str) -> dt.date:
    """A date as MIS exports write it: 14/03/2011 (UK order) or 2011-03-14."""
    text = text.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (write it like 14/03/2011)")
