"""Notices to an AP provider's staff. A provider reads the placement reference only, never the
pupil's name, as everywhere a provider reads."""

from __future__ import annotations

import datetime as dt


def placement_starts(
    *, reference: str, start: dt.date, days: list[str], absence_deadline: dt.time
) -> str:
    return (
        f"New placement {reference} with you from {start:%d/%m/%Y} ({', '.join(days)}). "
        f"Please report any non-attendance by {absence_deadline:%H:%M}."
    )


def placement_ends(*, reference: str, ends: dt.date) -> str:
    return (
        f"Placement {reference} ends on {ends:%d/%m/%Y}. "
        "No attendance reports are needed after that date."
    )


def placement_withdrawn(*, reference: str, start: dt.date) -> str:
    return (
        f"Placement {reference} (due to start {start:%d/%m/%Y}) has been withdrawn by the "
        "school: the pupil will not attend. No attendance reports are needed."
    )


def welfare_call_task(*, reference: str, day: dt.date) -> str:
    """The provider agreed to make the calls home when the pupil does not arrive."""
    return (
        f"Welfare call needed: {reference} is absent {day:%a %d/%m/%Y}. "
        "Please call home as agreed and tell the school what you find."
    )


def chronology_shared(
    *, reference: str, commissioner: str, kind: str, day: dt.date, text: str
) -> str:
    """An entry the school chose to share with the provider, in full."""
    return (
        f"{reference}: {commissioner} has shared a safeguarding chronology entry with you "
        f"({kind}, dated {day:%d/%m/%Y}): {text}"
    )


def placement_changed(*, reference: str, what: str) -> str:
    """The school changed the arrangements: what changed, by reference, never the pupil."""
    return f"Placement {reference} has changed: {what}."


def what_changed(
    kind: str,
    *,
    days: str,
    hours: str,
    site: str | None,
    planned_end: dt.date | None,
    review: dt.date | None,
    deadline: dt.time,
    provider_calls: bool,
) -> str:
    """The part of `placement_changed` that says what changed, by the kind of change
    (`PlacementChangeKind`): arrangements only, never the pupil, the reason or free text."""
    match kind:
        case "timetable":
            return f"the pupil is now with you on {days}, {hours} h a week"
        case "site":
            return f"the pupil now attends your site {site}" if site else "the site changed"
        case "planned_end":
            return (
                f"the planned end is now {planned_end:%d/%m/%Y}"
                if planned_end
                else ("the planned end changed")
            )
        case "review_date":
            return (
                f"the timetable is now reviewed on {review:%d/%m/%Y}"
                if review
                else ("the review date changed")
            )
        case "absence_deadline":
            return f"please now report any non-attendance by {deadline:%H:%M}"
        case "welfare_calls":
            who = "you" if provider_calls else "the school"
            return f"welfare calls home are now made by {who}; the school will confirm the details"
        case _:
            return "the placement's objectives have changed; the school will share them with you"


def _listed(others: list[tuple[str, str]]) -> str:
    return "; ".join(f"{provider} ({reference})" for provider, reference in others)


def other_providers_involved(*, reference: str, others: list[tuple[str, str]]) -> str:
    """Which other providers the pupil attends (provider name and reference, never a name)."""
    return (
        f"{reference}: the pupil also attends {_listed(others)}. Tell the school about any "
        "concern, so the providers involved can be kept in the picture."
    )


def other_provider_left(
    *, reference: str, left: tuple[str, str], others: list[tuple[str, str]]
) -> str:
    """Another provider is no longer involved (its placement ended)."""
    still = _listed(others) if others else "none"
    return (
        f"{reference}: {left[0]} ({left[1]}) is no longer involved. Other providers still "
        f"involved: {still}."
    )
