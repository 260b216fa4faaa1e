"""The daily digest to a DSL (their school's placements) or an LA officer (every placement in
the LA; a school's pupils by reference only, without absence reasons or chronology). What it
contains is decided in `storage/services/digest.py`; how it reads is here."""

from __future__ import annotations

import datetime as dt

from storage.clock import LONDON

NO_ORGANISATION = "your organisation"
NOT_SET = "not set"


def heading(organisation: str, today: dt.date, placements: int) -> str:
    return (
        f"Daily safeguarding digest for {organisation}, {today:%A %d/%m/%Y}: "
        f"{placements} active placement(s)."
    )


def day(value: dt.date | None) -> str:
    return f"{value:%a %d/%m}" if value else NOT_SET


def pupil_named(name: str, reference: str) -> str:
    """A pupil, for a reader who may see the name."""
    return f"{name} ({reference})"


def pupil_by_reference(reference: str, commissioner: str) -> str:
    """A pupil another organisation placed (an LA officer reading a school's placement)."""
    return f"{reference} ({commissioner})"


# Each section: its title, and what it says when it has nothing.
def absences_title(since: dt.datetime) -> str:
    return f"Absences reported since {since:%a %d/%m %H:%M}"


NO_ABSENCES = "No absences reported."
REVIEWS_TITLE = "Serious concerns to decide (review the placement now)"
NO_REVIEWS = "None waiting."
OPEN_CALLS_TITLE = "Welfare calls outstanding"
NO_OPEN_CALLS = "None outstanding."
OVERDUE_CHECKS_TITLE = "Overdue checks"
NO_OVERDUE_CHECKS = "No checks overdue."
VISITS_TITLE = "QA visits due this week"
NO_VISITS = "No QA visits due this week."


def contacts_title(days: int) -> str:
    return f"Contacts over the last {days} days"


def ending_title(days: int) -> str:
    return f"Placements ending within {days} days"


NONE_ENDING = "None ending soon."


def chronology_title(since: dt.datetime) -> str:
    return f"New chronology entries since {since:%a %d/%m %H:%M}"


NO_CHRONOLOGY = "No new entries."


def attendance_title(weeks: int) -> str:
    return f"Attendance over the last {weeks} weeks"


NO_PLACEMENTS = "No placements."
EMPTY_SECTION = "None."


def absence(
    who: str,
    absent_on: dt.date,
    sessions: str,
    code: str,
    *,
    reason: str | None,
    call: str,
) -> str:
    """`reason`: None for a reader who may not see it; `call`: one of the `call_*` below."""
    line = f"{who}: absent {day(absent_on)} {sessions}, code {code}"
    if reason is not None:
        line += f"; reason: {reason or 'not given'}"
    return line + call


CALL_NONE = "; no welfare call task"
CALL_NOT_DONE = "; welfare call NOT YET DONE"


def call_done(outcome: str | None) -> str:
    """`outcome`: None for a reader who may not see it."""
    return f"; welfare call done{f': {outcome}' if outcome else ''}"


def review_waiting(who: str, what: str, raised: dt.datetime, reference: str) -> str:
    return f"{who}: {what}, logged {raised.astimezone(LONDON):%a %d/%m %H:%M}: decide {reference}"


def open_call(who: str, absent_on: dt.date, caller: str) -> str:
    return f"{who}: absent {day(absent_on)}, call by {caller}"


CALLER_SCHOOL = "the school"


def overdue_check(who: str, label: str, due: dt.date | None) -> str:
    return f"{who}: {label}, due {day(due)}"


def visit_due(who: str, provider: str, due: dt.date | None, *, overdue: bool) -> str:
    return f"{who} at {provider}: due {day(due)}{' (OVERDUE)' if overdue else ''}"


def contacts(who: str, provider: int, parents: int, pupil: int) -> str:
    """Contacts with the provider, parents or carers and the pupil, counted apart (the weekly
    contact is the provider's: its own nudge says when it is overdue)."""
    return f"{who}: provider {provider}, parents or carers {parents}, pupil {pupil}"


def ending(who: str, ends: dt.date | None) -> str:
    return f"{who}: ends {day(ends)}"


def chronology_entry(
    who: str, kind: str, source: str, entry_date: dt.date, excerpt: str, *, by: str | None
) -> str:
    """`by`: who wrote it, when the bot did (`SYSTEM_AUTHOR`)."""
    return (
        f"{who}: {kind} from the {source.replace('_', ' ')}"
        f"{' (' + by + ')' if by else ''} ({day(entry_date)}): {excerpt}"
    )


def attendance(who: str, figures: str) -> str:
    return f"{who}: {figures}"


# The LA digest only: unregistered providers that may need to register as schools.
REGISTRATION_TITLE = "Unregistered providers that may need to register as a school"
NO_REGISTRATION = "None found among your schools' active placements."
