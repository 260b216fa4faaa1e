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
