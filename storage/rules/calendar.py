"""School days in England: weekdays that are not bank holidays and not in a configured term break.

Nudges and the DSL's daily digest go out on school days only. Bank holidays are England and Wales's
(the `holidays` package, subdivision "ENG"): Easter Monday and the late-May and August bank
holidays, but not Scotland's St Andrew's Day or Northern Ireland's 12 July. Term breaks differ from
school to school, so they are data: a school uploads them as CSV (`parse_term_breaks_csv`).

Times: a school says "08:00"; the scheduler stores instants in UTC. `at_london` turns a school's
wall-clock time on a given day into that instant, across the clock changes.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import holidays

from storage.clock import LONDON

# Longest run of closed days we search through before deciding the calendar is wrong (a break
# covering a whole year, say). A summer holiday plus weekends is about seven weeks.
MAX_CLOSED_RUN_DAYS = 400

_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@functools.lru_cache(maxsize=32)
def _bank_holidays(year: int) -> Mapping[dt.date, str]:
    """England and Wales bank holidays of one year, date to name (read-only, cached)."""
    found = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return MappingProxyType({day: str(name) for day, name in found.items()})


def _check_day(day: dt.date) -> None:
    # A datetime is a date too, but which day it falls on depends on the time zone: make the
    # caller say (see `london_date`).
    if isinstance(day, dt.datetime):
        raise TypeError(f"Expected a date, got a datetime ({day!r}); use london_date() first.")


@dataclass(frozen=True)
class TermBreak:
    """A school holiday or closure, from `first_day` to `last_day` inclusive."""

    name: str
    first_day: dt.date
    last_day: dt.date

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("A term break needs a name, e.g. 'Christmas holidays'.")
        if self.last_day < self.first_day:
            raise ValueError(
                f"{self.name}: the last day ({self.last_day:%d/%m/%Y}) is before the first day "
                f"({self.first_day:%d/%m/%Y})."
            )

    def covers(self, day: dt.date) -> bool:
        """Whether `day` falls inside this break."""
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True)
class SchoolCalendar:
    """One school's calendar: Monday to Friday, less bank holidays and its term breaks."""

    breaks: tuple[TermBreak, ...] = ()
    # Days already asked about (the calendar never changes, so the answer never does).
    _school_days: dict[dt.date, bool] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        # Accept a list too, but store a tuple so the calendar stays hashable and unchanged.
        if not isinstance(self.breaks, tuple):
            object.__setattr__(self, "breaks", tuple(self.breaks))

    def bank_holiday(self, day: dt.date) -> str | None:
        """The name of the England and Wales bank holiday on `day`, or None."""
        _check_day(day)
        return _bank_holidays(day.year).get(day)

    def term_break(self, day: dt.date) -> TermBreak | None:
        """The configured break `day` falls in, or None."""
        _check_day(day)
        return next((b for b in self.breaks if b.covers(day)), None)

    def reason_closed(self, day: dt.date) -> str | None:
        """Why the school is closed on `day`, or None on a school day.

        "Saturday" or "Sunday" first, then "bank holiday: <name>", then the break's name.
        """
        _check_day(day)
        if day.weekday() >= 5:
            return _WEEKDAY_NAMES[day.weekday()]
        holiday = self.bank_holiday(day)
        if holiday is not None:
            return f"bank holiday: {holiday}"
        closure = self.term_break(day)
        if closure is not None:
            return closure.name
        return None

    def is_school_day(self, day: dt.date) -> bool:
        """Whether `day` is a school day: a weekday, not a bank holiday, not in a term break."""
        known = self._school_days.get(day)
        if known is None:
            known = self._school_days[day] = self.reason_closed(day) is None
        return known

    def _step(self, day: dt.date, direction: int) -> dt.date:
        step = dt.timedelta(days=direction)
        candidate = day
        for _ in range(MAX_CLOSED_RUN_DAYS):
            candidate += step
            if self.is_school_day(candidate):
                return candidate
        word = "after" if direction > 0 else "before"
        raise ValueError(
            f"No school day within {MAX_CLOSED_RUN_DAYS} days {word} {day:%d/%m/%Y}: "
            "check the term breaks."
        )

    def next_school_day(self, after: dt.date) -> dt.date:
        """The first school day strictly after `after`.

        Raises ValueError if none falls within `MAX_CLOSED_RUN_DAYS` (a misconfigured break).
        """
        _check_day(after)
        return self._step(after, 1)

    def previous_school_day(self, before: dt.date) -> dt.date:
        """The last school day strictly before `before`.

        Raises ValueError if none falls within `MAX_CLOSED_RUN_DAYS` (a misconfigured break).
        """
        _check_day(before)
        return self._step(before, -1)

    def school_days_between(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """The school days from `start` to `end`, both included, in order ([] if end < start)."""
        return list(self._walk_school_days(start, end))

    def count_school_days(self, start: dt.date, end: dt.date, *, at_most: int) -> int:
        """How many school days from `start` to `end`, both included (0 if end < start),
        counted no further than `at_most`: enough to tell "within N school days" (at most N)
        without walking a long span day by day."""
        return sum(1 for _ in itertools.islice(self._walk_school_days(start, end), at_most))

    def _walk_school_days(self, start: dt.date, end: dt.date) -> Iterator[dt.date]:
        """The school days from `start` to `end`, one at a time (walked only as far as asked)."""
        _check_day(start)
        _check_day(end)
        span = (end - start).days + 1
        every_day = (start + dt.timedelta(days=offset) for offset in range(max(span, 0)))
        return (day for day in every_day if self.is_school_day(day))

    def add_school_days(self, day: dt.date, n: int) -> dt.date:
        """The `n`th school day after `day` (before it if `n` is negative).

        `day` itself never counts, so from a Friday `n=1` is the next Monday (if it is a school
        day) and from a Saturday it is also that Monday. `n=0` returns `day` unchanged.
        """
        _check_day(day)
        result = day
        for _ in range(abs(n)):
            result = self._step(result, 1 if n > 0 else -1)
        return result


def at_london(day: dt.date, time: dt.time) -> dt.datetime:
    """The instant (aware, UTC) at which London's clocks show `time` on `day`.

    09:30 on 23/10/2026 (BST) is 08:30 UTC; on 26/10/2026 (GMT) it is 09:30 UTC. On the night the
    clocks go back, a time between 01:00 and 02:00 happens twice: the first (BST) is taken unless
    `time.fold` is 1. On the night they go forward, 01:00 to 02:00 does not exist: such a time is
    read with the GMT offset, i.e. an hour later by the new clock.
    """
    _check_day(day)
    if time.tzinfo is not None:
        raise ValueError(f"Expected a wall-clock time without a time zone, got {time!r}.")
    return dt.datetime.combine(day, time, tzinfo=LONDON).astimezone(dt.UTC)


def london_date(instant: dt.datetime) -> dt.date:
    """The date in England at `instant` (which must be time-zone aware)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"Expected an aware datetime, got a naive one ({instant!r}).")
    return instant.astimezone(LONDON).date()


# --- Term dates uploaded as CSV ----------------------------------------------------------------


class TermDatesError(ValueError):
    """A term-dates CSV a school uploaded is wrong; the message says where and how to fix it."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(f"Line {line}: {message}" if line is not None else message)
        self.line = line


_COLUMN_ALIASES = {
    "name": "name",
    "first_day": "first_day",
    "start": "first_day",
    "last_day": "last_day",
    "end": "last_day",
}
_REQUIRED_COLUMNS = ("name", "first_day", "last_day")
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DATE_HELP = "write dates as dd/mm/yyyy (e.g. 21/12/2026) or yyyy-mm-dd (e.g. 2026-12-21)"


def _column_key(header: str) -> str:
    return header.strip().lower().replace(" ", "_")


def _parse_date(text: str, column: str, line: int) -> dt.date:
    value = text.strip()
    uk = _UK_DATE.fullmatch(value)
    iso = _ISO_DATE.fullmatch(value)
    if uk:
        day, month, year = (int(part) for part in uk.groups())
    elif iso:
        year, month, day = (int(part) for part in iso.groups())
    else:
        raise TermDatesError(f"{column} '{value}' is not a date: {_DATE_HELP}.", line=line)
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise TermDatesError(
            f"{column} '{value}' is not a real date (day {day} of month {month}): {_DATE_HELP}.",
            line=line,
        ) from None


def _read_header(row: list[str], line: int) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, header in enumerate(row):
        column = _COLUMN_ALIASES.get(_column_key(header))
        if column is None:
            continue  # extra columns (notes, say) are allowed and ignored
        if column in positions:
            raise TermDatesError(
                f"two columns give the {column} ('{row[positions[column]].strip()}' and "
                f"'{header.strip()}'); keep one.",
                line=line,
            )
        positions[column] = index
    missing = [column for column in _REQUIRED_COLUMNS if column not in positions]
    if missing:
        listed = " or ".join(
            [", ".join(missing[:-1]), missing[-1]] if len(missing) > 1 else missing
        )
        raise TermDatesError(
            f"the header has no {listed} column; it should read "
            "'name,first_day,last_day' (or 'name,start,end').",
            line=line,
        )
    return positions


def _read_break(row: list[str], positions: dict[str, int], line: int) -> TermBreak:
    values: dict[str, str] = {}
    for column in _REQUIRED_COLUMNS:
        index = positions[column]
        value = row[index].strip() if index < len(row) else ""
        if not value:
            raise TermDatesError(f"the {column} is missing.", line=line)
        values[column] = value
    first_day = _parse_date(values["first_day"], "first_day", line)
    last_day = _parse_date(values["last_day"], "last_day", line)
    if last_day < first_day:
        raise TermDatesError(
            f"'{values['name']}' ends ({last_day:%d/%m/%Y}) before it starts "
            f"({first_day:%d/%m/%Y}).",
            line=line,
        )
    return TermBreak(name=values["name"], first_day=first_day, last_day=last_day)


def parse_term_breaks_csv(text: str) -> list[TermBreak]:
    """Read a school's term breaks from CSV text, sorted by first day.

    The first non-blank line is the header: `name,first_day,last_day` (or `name,start,end`; case
    and spaces do not matter, other columns are ignored). Dates are `dd/mm/yyyy` or `yyyy-mm-dd`.
    Blank lines are skipped. Raises `TermDatesError` naming the line and the problem: a bad or
    missing date, a last day before the first, a missing column, or two breaks that overlap.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    positions: dict[str, int] | None = None
    read: list[tuple[int, TermBreak]] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if positions is None:
                positions = _read_header(row, line)
            else:
                read.append((line, _read_break(row, positions, line)))
    except csv.Error as error:
        raise TermDatesError(f"this is not valid CSV ({error}).", line=reader.line_num) from None
    if positions is None:
        raise TermDatesError("the file is empty; it needs a header 'name,first_day,last_day'.")

    read.sort(key=lambda entry: (entry[1].first_day, entry[0]))
    for (earlier_line, earlier), (line, later) in itertools.pairwise(read):
        if later.first_day <= earlier.last_day:
            raise TermDatesError(
                f"'{later.name}' ({later.first_day:%d/%m/%Y} to {later.last_day:%d/%m/%Y}) "
                f"overlaps '{earlier.name}' ({earlier.first_day:%d/%m/%Y} to "
                f"{earlier.last_day:%d/%m/%Y}) on line {earlier_line}.",
                line=line,
            )
    return [term_break for _, term_break in read]
