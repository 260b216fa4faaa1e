"""Turning what people type (or click) into values: UK dates, 24-hour times, choices, yes/no.

Every parser raises `AnswerError` with a message a busy teacher can act on.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from dialogs.prompts import Choice

MAX_TEXT_LENGTH = 4000
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAY_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
YES = {"yes", "y", "yeah", "yep", "true", "confirm", "ok", "save"}
NO = {"no", "n", "nope", "false"}


class AnswerError(ValueError):
    """An answer we cannot use, with the words to tell the person why."""


class NothingToDo(AnswerError):
    """Not a mistake: the command has nothing to do (every check is done, no call is open).
    Said as a plain message, never as an error."""


def parse_text(raw: str, *, max_length: int = MAX_TEXT_LENGTH) -> str:
    text = raw.strip()
    if not text:
        raise AnswerError("Please type an answer (it can't be empty).")
    if len(text) > max_length:
        raise AnswerError(
            f"That's {len(text):,} characters; please keep it under {max_length:,}. "
            "Summarise, and keep the full notes in your school's records."
        )
    if "\x00" in text:
        raise AnswerError("That answer contains a character we can't store; please retype it.")
    return text


class DateSense(enum.StrEnum):
    """What a date question is about, which decides what a bare weekday means.

    `happened`: something that has happened (an absence, a late arrival, a visit, a contact, a
    welfare call, the last day of a placement): `tue` is the most recent Tuesday, today or before.
    `planned`: a plan (a start, a planned end, a review, the next visit, a due date): `tue` is
    the next Tuesday, today or after. `last tue` and `next tue` mean the same in both.
    """

    happened = "happened"
    planned = "planned"


def _weekday(text: str) -> int | None:
    for names in (WEEKDAYS, WEEKDAY_NAMES):
        if text in names:
            return names.index(text)
    return None


def parse_date(raw: str, *, today: dt.date, sense: DateSense) -> dt.date:
    """UK dates: `27/11/2026`, `27/11/26`, `27-11-2026`, `27 11 2026`, `2026-11-27`, `today`,
    `tomorrow`, `yesterday`; a weekday (`mon`, `friday`): the most recent one (today or before)
    in a question about what happened, the next one (today or after) in a question about a plan;
    `last fri` (before today) and `next fri` (after today) whatever the question."""
    text = " ".join(raw.strip().lower().split())
    if text in ("today", "now"):
        return today
    if text == "tomorrow":
        return today + dt.timedelta(days=1)
    if text == "yesterday":
        return today - dt.timedelta(days=1)
    word, _, rest = text.partition(" ")
    if word in ("last", "next") and (day := _weekday(rest)) is not None:
        if word == "last":
            return today - dt.timedelta(days=(today.weekday() - day - 1) % 7 + 1)
        return today + dt.timedelta(days=(day - today.weekday() - 1) % 7 + 1)
    if (day := _weekday(text)) is not None:
        if sense == DateSense.happened:
            return today - dt.timedelta(days=(today.weekday() - day) % 7)
        return today + dt.timedelta(days=(day - today.weekday()) % 7)
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    uk = re.fullmatch(r"(\d{1,2})[/\-. ](\d{1,2})[/\-. ](\d{2}|\d{4})", text)
    try:
        if iso:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        if uk:
            year = int(uk[3])
            if year < 100:
                year += 2000
            return dt.date(year, int(uk[2]), int(uk[1]))
    except ValueError:
        raise AnswerError(f"{raw.strip()!r} is not a real date. Try e.g. 27/11/2026.") from None
    if sense == DateSense.happened:
        words = "today, yesterday, a weekday (the last one, e.g. tue), or last tue"
    else:
        words = "today, tomorrow, a weekday (the next one, e.g. tue), or next tue"
    raise AnswerError(f"Please give a date like 27/11/2026 (day/month/year), or {words}.")


def parse_time(raw: str) -> dt.time:
    """24-hour times: `09:30`, `9:30`, `0930`, `9.30`, `9`."""
    text = raw.strip().lower().replace(".", ":")
    match = re.fullmatch(r"(\d{1,2})(?::?(\d{2}))?", text)
    if match:
        hour, minute = int(match[1]), int(match[2] or 0)
        if hour < 24 and minute < 60:
            return dt.time(hour, minute)
    raise AnswerError("Please give a 24-hour time like 09:30.")


def parse_date_time(raw: str, *, today: dt.date, sense: DateSense) -> dt.datetime:
    """A day and a 24-hour time on one line, as a command line takes them: `01/12/2026 09:31`,
    `2026-12-01 09:31`, `2026-12-01T09:31`, `tomorrow 9:00` (the day as `parse_date` reads it,
    the time as `parse_time`). Naive: the caller knows the time zone."""
    text = raw.strip()
    match = re.fullmatch(r"(.+?)(?:\s+|(?<=\d)[Tt])(\d{1,2}(?:[:.]?\d{2})?)", text)
    try:
        if match is None:
            raise AnswerError(text)
        day = parse_date(match[1], today=today, sense=sense)
        return dt.datetime.combine(day, parse_time(match[2]))
    except AnswerError:
        raise AnswerError(
            f"{text!r} is not a day and time I can read: write it like 01/12/2026 09:31 "
            "(or 2026-12-01 09:31)."
        ) from None


def parse_yesno(raw: str) -> bool:
    text = raw.strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise AnswerError("Please answer yes or no.")


def _match_choice(token: str, choices: Sequence[Choice]) -> Choice | None:
    token = token.strip().lower()
    if not token:
        return None
    if token.isdigit() and len(token) <= 4 and 1 <= int(token) <= len(choices):
        return choices[int(token) - 1]
    for choice in choices:
        if token in (choice.value.lower(), choice.label.lower()):
            return choice
    # The start of one label only ("returned" for "Returned to our school").
    if len(token) >= 3:
        starting = [c for c in choices if c.label.lower().startswith(token)]
        if len(starting) == 1:
            return starting[0]
    return None


def _choices_hint(choices: Sequence[Choice]) -> str:
    listed = ", ".join(f"{n}. {c.label}" for n, c in enumerate(choices[:12], start=1))
    more = f" (and {len(choices) - 12} more)" if len(choices) > 12 else ""
    return f"Please pick one of: {listed}{more}. You can type the number."


def parse_choice(raw: str, choices: Sequence[Choice]) -> str:
    """A choice by its number, its value or its label, case-insensitive. Returns the value."""
    match = _match_choice(raw, choices)
    if match is None:
        raise AnswerError(
            f"{raw.strip()[:60]!r} isn't one of the options. " + _choices_hint(choices)
        )
    return match.value


def parse_multichoice(raw: str | Sequence[str], choices: Sequence[Choice]) -> list[str]:
    """Several choices, separated by commas (`1, 3` or `mon, wed`); `none` for none at all.
    Returns values in the order of the choices, without repeats."""
    tokens = [raw] if isinstance(raw, str) else list(raw)
    parts = [p for token in tokens for p in re.split(r"[,;]|\s+and\s+", token) if p.strip()]
    if len(parts) == 1 and parts[0].strip().lower() in ("none", "nothing", "-"):
        return []
    picked: set[str] = set()
    for part in parts:
        match = _match_choice(part, choices)
        if match is None:
            raise AnswerError(
                f"{part.strip()[:60]!r} isn't one of the options. "
                "Separate several with commas. " + _choices_hint(choices)
            )
        picked.add(match.value)
    if not picked:
        raise AnswerError("Please pick at least one (separate several with commas), or type none.")
    return [c.value for c in choices if c.value in picked]


def parse_hours(raw: str, *, maximum: Decimal = Decimal(60)) -> Decimal:
    """Hours a week, e.g. `25`, `7.5`, `7,5`, `25h`."""
    text = raw.strip().lower().removesuffix("hours").removesuffix("hrs").removesuffix("h").strip()
    try:
        hours = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise AnswerError("Please give a number of hours a week, like 25 or 7.5.") from None
    if not hours.is_finite() or hours < 0 or hours > maximum:
        raise AnswerError(f"Please give between 0 and {maximum} hours a week.")
    return hours.quantize(Decimal("0.01"))


def uk_date(value: dt.date | None) -> str:
    """A date the way an English school writes it: 27/11/2026."""
    return value.strftime("%d/%m/%Y") if value else "not set"


def uk_date_long(value: dt.date) -> str:
    """Fri 27/11/2026."""
    return value.strftime("%a %d/%m/%Y")
