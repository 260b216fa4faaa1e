"""Where the timetable puts a pupil on a given day: the rule behind `where AP-XXXX`.

A pure function over plain facts: the placement's dates, its week (where the pupil is on each
weekday) and whether the day is a school day. What was reported today (an absence) is said
beside it by the dialog; it does not move the pupil anywhere.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass

from storage.models.enums import DayPlace

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def weekday_key(day: dt.date) -> str | None:
    """`mon` to `fri` for a weekday, None at the weekend."""
    return WEEKDAYS[day.weekday()] if day.weekday() < 5 else None


@dataclass(frozen=True)
class DayWhere:
    """Where the pupil is on one weekday. `site_id` only with DayPlace.provider (and only if
    the provider has sites)."""

    place: DayPlace
    site_id: int | None = None


class Expected(enum.StrEnum):
    """What the timetable says about a day, before anyone reports anything."""

    not_started = "not_started"
    ended = "ended"
    closed = "closed"  # a weekend, bank holiday or term break
    not_recorded = "not_recorded"  # the week was never given for this weekday
    at = "at"


@dataclass(frozen=True)
class Expectation:
    expected: Expected
    where: DayWhere | None = None


def expected_on(
    day: dt.date,
    *,
    week: Mapping[str, DayWhere],
    start: dt.date,
    last_day: dt.date | None,
    school_day: bool,
) -> Expectation:
    """Where the timetable puts the pupil on `day`. `last_day`: the day the placement ended (or
    None while it runs); `school_day`: the commissioning school's calendar for that day."""
    if day < start:
        return Expectation(Expected.not_started)
    if last_day is not None and day > last_day:
        return Expectation(Expected.ended)
    key = weekday_key(day)
    if key is None or not school_day:
        return Expectation(Expected.closed)
    where = week.get(key)
    if where is None:
        return Expectation(Expected.not_recorded)
    return Expectation(Expected.at, where)


def default_week(
    provider_days: list[str], *, site_id: int | None, school_hours_given: bool
) -> dict[str, DayWhere]:
    """The week a placement started before days were recorded implies: its provider days at its
    site; the other days at school when it has school hours (otherwise not recorded)."""
    week = {day: DayWhere(DayPlace.provider, site_id) for day in provider_days}
    if school_hours_given:
        for day in WEEKDAYS:
            week.setdefault(day, DayWhere(DayPlace.school))
    return week
