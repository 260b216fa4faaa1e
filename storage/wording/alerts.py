"""Alerts to the commissioner's safeguarding leads (the school's DSLs, or the LA's officers when
the LA commissions), sent at once as direct messages, so with the pupil's name. Also the welfare
call task given to a named person at the school."""

from __future__ import annotations

import datetime as dt

# Why a welfare call went to the DSL at once (`WelfareEscalationReason`); also the words of the
# chronology entry it starts.
ESCALATION_WORDS = {
    "not_safe": "the pupil is NOT known to be safe",
    "unreached": "nobody was reached by the end of the school day",
    "refer_dsl": "the caller has referred it to you",
    "police_or_social_care": "police / children's social care involved",
}


def absence(
    *,
    pupil: str,
    reference: str,
    provider: str,
    day: dt.date,
    sessions: str,
    code: str,
    reason: str,
    reporter: str | None,
    late_deadline: dt.time | None,
    who_calls: str | None,
    proposed: str | None,
) -> str:
    """A pupil is not at the provider. `reason` is already a sentence (or empty); `proposed`:
    the label of a code the provider proposes, which only the school may set."""
    late_text = (
        f" Reported LATE (the deadline was {late_deadline:%H:%M})."
        if late_deadline is not None
        else ""
    )
    call_text = f" {who_calls}." if who_calls is not None else ""
    proposal = (
        f" The provider proposes {proposed}: that code is the school's to "
        f"decide (type explain {reference} to set it)."
        if proposed
        else ""
    )
    return (
        f"Absence: {pupil} ({reference}) is not at {provider} on {day:%a %d/%m/%Y}, {sessions}. "
        f"Code {code}. Reason: {reason or 'not given.'} "
        f"Reported by {reporter or 'unknown'}.{late_text}{call_text}{proposal}"
    )


def who_calls_provider(provider: str) -> str:
    return f"{provider} makes the welfare call"


def who_calls_school(person: str | None) -> str:
    return f"{person or 'your school'} makes the welfare call"


def register_corrected(
    *,
    pupil: str,
    reference: str,
    provider: str,
    day: dt.date,
    session: str,
    was: str,
    code: str,
    reporter: str | None,
    why: str,
) -> str:
    """A confirmed present became an absence: the register was wrong."""
    return (
        f"Register corrected: {pupil} ({reference}) was recorded {was} at {provider} on "
        f"{day:%a %d/%m/%Y} {session}, and is now reported ABSENT ({code}) by "
        f"{reporter or 'unknown'}. Why: {why}. The pupil was not where the register said."
    )


def welfare_call_task_school(*, pupil: str, reference: str, provider: str, day: dt.date) -> str:
    """The named person at the school who makes the welfare call (not a safeguarding lead)."""
    return (
        f"Welfare call needed: {pupil} ({reference}) is absent from {provider} "
        f"{day:%a %d/%m/%Y}. Please call home as agreed."
    )


def welfare_escalation(
    *, pupil: str, reference: str, provider: str, day: dt.date, reason: str, summary: str
) -> str:
    """A welfare call raised with the leads (`reason`: a key of `ESCALATION_WORDS`)."""
    return (
        f"URGENT welfare call: {pupil} ({reference}), absent from {provider} on "
        f"{day:%a %d/%m/%Y}: {ESCALATION_WORDS[reason]}. {summary} A chronology entry has been "
        "started."
    )


def code_proposed(
    *,
    pupil: str,
    reference: str,
    day: dt.date,
    sessions: str,
    code: str,
    proposed: str,
    their_words: str,
) -> str:
    """The provider proposes an absence code only the school may set."""
    return (
        f"Code to decide: {pupil} ({reference}), absent {day:%a %d/%m/%Y} {sessions} (now "
        f"{code}). The provider proposes {proposed}. Their words: {their_words or 'none given'}. "
        f"Only the school may set that code: type explain {reference} to set it, or leave it."
    )


def arrived(
    *, pupil: str, reference: str, provider: str, day: dt.date, session: str, why: str, code: str
) -> str:
    """A pupil reported absent has arrived after all."""
    return (
        f"Update: {pupil} ({reference}), reported absent on {day:%a %d/%m/%Y} {session}, has "
        f"arrived at {provider}. {why}: code {code}."
    )


def chronology_update(
    *, pupil: str, reference: str, provider: str, kind: str, day: dt.date, text: str
) -> str:
    """The provider added to the pupil's safeguarding chronology (its words, in full)."""
    return (
        f"{reference}: new chronology update from {provider} about {pupil} ({kind}, dated "
        f"{day:%d/%m/%Y}): {text}"
    )


def concern_logged(*, pupil: str, reference: str, by: str | None, day: dt.date, text: str) -> str:
    """Someone at the school (a teacher, another DSL) logged a concern (its words, in full)."""
    who = by or "Someone at your school"
    return f"{reference}: {who} logged a concern about {pupil} (dated {day:%d/%m/%Y}): {text}"


def review_now(*, pupil: str, reference: str, what: str) -> str:
    """A serious concern: the safeguarding lead decides about the placement now (the kind of
    concern only; its words are in the chronology)."""
    return (
        f"URGENT: review this placement now. A serious concern was logged for {pupil} "
        f"({reference}): {what}. Decide whether it continues (with actions), is suspended or "
        f"ends: decide {reference}. The concern is in the chronology (chronology {reference})."
    )


def qa_revisit_due(*, reason: str, due: dt.date, reference: str) -> str:
    """What a QA visit that needs a revisit adds to its alert."""
    return (
        f" {reason.capitalize()}: a revisit is due by {due:%d/%m/%Y}, and a review of the "
        f"placement is now a due check (check {reference}): decide whether it can continue "
        "safely."
    )


def qa_revisit(*, pupil: str, reference: str, provider: str, day: dt.date, then: str) -> str:
    """A QA visit found the placement needs a revisit and a review (`then`: `qa_revisit_due`)."""
    return f"QA visit to {pupil} ({reference}) at {provider} on {day:%d/%m/%Y}.{then}"


def qa_concern(
    *, pupil: str, reference: str, provider: str, day: dt.date, by: str, text: str, then: str
) -> str:
    """A QA visit raised a safeguarding concern (`then`: `qa_revisit_due`, or empty)."""
    return (
        f"Safeguarding concern from the QA visit to {pupil} ({reference}) at {provider}, "
        f"{day:%d/%m/%Y}, by {by}: {text} A chronology entry has been started.{then}"
    )


def placement_starts(
    *, pupil: str, reference: str, provider: str, start: dt.date, open_checks: int
) -> str:
    return (
        f"{pupil} starts placement {reference} at {provider} on {start:%d/%m/%Y}. "
        f"{open_checks} checklist item(s) still to do."
    )


def placement_ended(*, reference: str, ended: dt.date, calls_closed: int) -> str:
    calls = (
        f" {calls_closed} open welfare call(s) were closed as 'placement ended'."
        if calls_closed
        else ""
    )
    return (
        f"Placement {reference} ended on {ended:%d/%m/%Y}.{calls} "
        "Reminders and alerts for it have stopped."
    )


def now_part_time(
    *, reference: str, left: str, total: str, week: str, review: dt.date | None = None
) -> str:
    """Another placement ended, and this one's week no longer adds up to full time."""
    by = (
        f" Its review is due by {review:%d/%m/%Y} (`change {reference}` to move it)."
        if review
        else ""
    )
    return (
        f"{reference} is now {total} h of a {week} h week: {left} has ended, and its hours no "
        "longer count. That is a part-time timetable: agree one with a parent (exceptional, "
        f"time-limited, reviewed with the pupil and parents), or arrange the missing hours.{by}"
    )


def placement_withdrawn(
    *, reference: str, pupil: str, provider: str, start: dt.date, words: str
) -> str:
    """`words`: the school's reason, as a sentence."""
    return (
        f"Placement {reference} for {pupil} at {provider}, due to start {start:%d/%m/%Y}, has "
        f"been withdrawn: {words} Nothing more will be asked or sent about it."
    )


def placement_changed(
    *, reference: str, pupil: str, what: str, before: str | None, after: str | None, reason: str
) -> str:
    """A change to the safeguarding arrangements (welfare calls, the absence deadline)."""
    return (
        f"The {what} for {pupil}'s placement {reference} changed. Was: {before or 'not set'}. "
        f"Now: {after or 'not set'}. Why: {reason}"
    )


def pupil_neet(*, reference: str, pupil: str, ended: dt.date) -> str:
    """A placement ended with the pupil in no education, employment or training."""
    return (
        f"{pupil}'s placement {reference} ended on {ended:%d/%m/%Y} and they are not going on "
        "to education, employment or training (NEET). Please make sure the local authority "
        "knows, and consider whether the pupil is at risk of missing education."
    )
