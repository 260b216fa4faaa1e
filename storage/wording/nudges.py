"""What each nudge says, in one place. School staff get the pupil's name (a direct message);
providers get the placement reference only, as everywhere a provider reads."""

from __future__ import annotations

import datetime as dt


def _d(day: dt.date) -> str:
    return f"{day:%a %d/%m/%Y}"


def pupil(name: str, reference: str) -> str:
    return f"{name} ({reference})"


def check_overdue(label: str, who: str, due: dt.date) -> str:
    return f"Overdue check for {who}: {label} was due {_d(due)}. Tick it when it's done."


def letter_of_assurance_missing(who: str, provider: str, start: dt.date) -> str:
    return (
        f"No Letter of Assurance yet for {who} at {provider}, who has attended since {_d(start)}. "
        "The guidance needs written confirmation of staff checks for every AP: chase it today, "
        "and tick it when it comes. I'll remind you each school day until it is recorded."
    )


def qa_due_soon(who: str, provider: str, due: dt.date) -> str:
    return f"QA visit due: {who} at {provider} needs a visit by {_d(due)} (at least twice a term)."


def qa_overdue(who: str, provider: str, due: dt.date | None) -> str:
    since = f"was due {_d(due)}" if due else "has no visit planned"
    return f"QA visit OVERDUE: {who} at {provider} {since}. Please visit and talk with the pupil."


def contact_overdue(who: str, provider: str, last: dt.date | None) -> str:
    since = f"since {_d(last)}" if last else "since the placement started"
    return (
        f"No weekly contact with {provider} about {who} {since}. Log a contact when you've spoken."
    )


def review_soon(who: str, review: dt.date) -> str:
    return f"Review coming up: {who}'s placement review is on {_d(review)}."


def ending_soon(who: str, end: dt.date) -> str:
    return f"Placement ending soon: {who} is due to finish on {_d(end)}. Is the return plan ready?"


def part_time_review_overdue(who: str, review: dt.date) -> str:
    return (
        f"Part-time timetable past its review: {who}'s part-time timetable was due for review "
        f"on {_d(review)}. A pupil must get full-time provision in total."
    )


def part_time_ending(who: str, ends: dt.date, school_days: int) -> str:
    days = "school day" if school_days == 1 else "school days"
    return (
        f"Part-time timetable ending: {who}'s part-time timetable reaches its time limit on "
        f"{_d(ends)} ({school_days} {days} from now). Review it with the pupil and parents "
        "before then (`review`): back to full time, or a new limit agreed with the parent."
    )


def part_time_expired(who: str, ends: dt.date) -> str:
    return (
        f"Part-time timetable past its time limit: {who}'s part-time timetable was agreed until "
        f"{_d(ends)}. C2 no longer applies: return the pupil to full-time education, or review "
        "it with the pupil and parents now (`review`)."
    )


def register_prompt(references: list[str], deadline: dt.time) -> str:
    return (
        f"Good morning. Please take the register for {', '.join(references)} and tell us by "
        f"{deadline:%H:%M}: All present, or report who is absent."
    )


def no_report_provider(reference: str, deadline: dt.time) -> str:
    return (
        f"No attendance for {reference} yet today; it was due by {deadline:%H:%M}. Please "
        "report now: All present, or report the absence."
    )


def no_report_dsl(who: str, provider: str, deadline: dt.time) -> str:
    return (
        f"No attendance report: {provider} has not said whether {who} arrived today (due by "
        f"{deadline:%H:%M}, 30 minutes ago). Please find out where the pupil is."
    )


def welfare_overdue(who: str, absence_date: dt.date, hours: int) -> str:
    return (
        f"Welfare call not done: {who} was reported absent {_d(absence_date)} over {hours} hours "
        "ago and no welfare call has been recorded. Please make sure someone calls home."
    )


def review_undecided(who: str, reference: str, what: str, raised: dt.date) -> str:
    return (
        f"URGENT, still to decide: a serious concern for {who} ({what}, {_d(raised)}) needs your "
        f"decision on the placement: continue with actions, suspend or end. Type decide "
        f"{reference} to record it."
    )


def cme_risk(who: str, days: list[dt.date]) -> str:
    listed = ", ".join(f"{day:%a %d/%m}" for day in days)
    return (
        f"Children-missing-education risk: {who} has been absent without an explanation (code "
        f"N or O) for {len(days)} school days in a row ({listed}). Follow your missing-education "
        "procedure and consider telling the local authority."
    )


# Buttons and what they answer.
DONE = "Done"
ALL_PRESENT = "All present"
SNOOZE_DAY = "Snooze 1 day"
SNOOZE_WEEK = "Snooze 1 week"
OPEN = "Open"
TICKED = "Ticked: {label} for {reference}. Thank you."
ALREADY_DONE = "That's already done: {label} for {reference}."
SNOOZED = "OK, I won't remind you about this before {until}."
NOT_SNOOZABLE = "A safeguarding alert can't be snoozed; please deal with it or hand it on."
NOT_YOURS = "That reminder was for someone else, so I left it alone."
GONE = "I can't find that reminder any more."
UNAVAILABLE = (
    "Sorry, I couldn't act on that button just now; nothing was changed. Please try again later."
)
NO_DONE = "Nothing to tick here; let's record it properly instead."
OPENING = "Opening {command}."
