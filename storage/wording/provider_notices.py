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
