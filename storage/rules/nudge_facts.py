"""The plain facts the nudge rules read, and the `Nudge` they produce (see `nudges.py`)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from storage.rules.calendar import SchoolCalendar, london_date
from storage.wording import NoticeKind
from storage.wording import nudges as nudge_wording

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class NudgeTimes:
    """The school's wall-clock times (Europe/London) at which nudges go out."""

    reminders: dt.time = dt.time(8, 30)
    register_prompt: dt.time = dt.time(9, 0)
    digest: dt.time = dt.time(8, 0)


@dataclass(frozen=True)
class PlacementFacts:
    """What the rules need to know about one active placement."""

    id: int
    reference: str
    pupil_name: str
    provider_id: int
    provider_name: str
    commissioner_id: int
    owner_id: int
    start_date: dt.date
    days: tuple[str, ...]
    absence_deadline: dt.time
    calendar: SchoolCalendar = field(default_factory=SchoolCalendar)
    planned_end_date: dt.date | None = None
    review_date: dt.date | None = None
    is_full_time: bool = True
    next_qa_due: dt.date | None = None
    last_contact: dt.date | None = None
    reported_today: bool = False
    # Days with an absence coded N or O (reason not yet established, unauthorised).
    unexplained_days: frozenset[dt.date] = frozenset()
    # The Letter of Assurance's checklist item id while it is not received (None: received).
    letter_of_assurance_item: int | None = None
    # The time limit of the part-time timetable agreed with the parent, while it runs
    # (None: no part-time timetable, or it has ended).
    part_time_ends: dt.date | None = None

    @property
    def who(self) -> str:
        return nudge_wording.pupil(self.pupil_name, self.reference)

    def expected_on(self, day: dt.date) -> bool:
        """Whether the pupil is due at the provider that day (started, on the timetable, and a
        school day for the commissioning school)."""
        return (
            self.start_date <= day
            and WEEKDAYS[day.weekday()] in self.days
            and self.calendar.is_school_day(day)
        )


@dataclass(frozen=True)
class CheckFacts:
    """A checklist item not done, past its due date."""

    item_id: int
    placement_id: int
    label: str
    due_date: dt.date
    owner_id: int | None
    key: str = ""


@dataclass(frozen=True)
class CallFacts:
    """An open welfare-call task."""

    id: int
    placement_id: int
    absence_date: dt.date
    created_at: dt.datetime


@dataclass(frozen=True)
class ReviewFacts:
    """A serious concern's "review this placement now", not yet decided."""

    id: int
    placement_id: int
    # What made it serious, in words ("a disclosure").
    what: str
    raised_at: dt.datetime


@dataclass(frozen=True)
class Facts:
    """Everything the rules look at, as of `now` (an aware instant). `placements` may be just
    the candidates, the active placements with something that can be due now: a placement left
    out gets no nudge."""

    now: dt.datetime
    placements: tuple[PlacementFacts, ...] = ()
    overdue_checks: tuple[CheckFacts, ...] = ()
    open_calls: tuple[CallFacts, ...] = ()
    open_reviews: tuple[ReviewFacts, ...] = ()
    # Commissioner id -> its safeguarding leads (a school's DSLs, an LA's officers).
    leads: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    # Provider id -> its staff who take the register.
    provider_staff: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    # (subject, person id) -> snoozed until (not reminded before that date).
    snoozes: Mapping[tuple[str, int], dt.date] = field(default_factory=dict)
    # Provider id -> the earliest absence deadline today among all its pupils expected today,
    # for when `placements` holds only some of them (those with something due). A provider
    # not in it: the earliest among its placements given.
    register_deadlines: Mapping[int, dt.time] = field(default_factory=dict)
    times: NudgeTimes = field(default_factory=NudgeTimes)

    @functools.cached_property
    def today(self) -> dt.date:
        return london_date(self.now)


@dataclass(frozen=True)
class Nudge:
    """One message the rules say is owed. `subject` names what it is about (for snoozes and
    for deciding, just before sending, whether it still applies)."""

    key: str
    kind: NoticeKind
    recipient_id: int
    due_at: dt.datetime
    text: str
    subject: str
    placement_id: int | None = None
    reference: str | None = None
    open_command: str | None = None
    # What "Done" does: "tick" (ticks the check), "present" (starts the register), or None.
    done: str | None = None
    snoozable: bool = False
    # After this instant the nudge is stale and is not sent.
    expires_at: dt.datetime | None = None
