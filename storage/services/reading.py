"""Reading a placement's record in chat: its items, newest first, filtered by need-to-know,
a page at a time, and where each person is in it (`more`).

What each person may read is decided in `storage.access` (`readable`, `can_read_report`,
`can_read_entry`); this module only gathers the records and applies those answers. The words
are the dialog's (`dialogs/reading.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Reading, can_read_entry, can_read_report, readable
from storage.clock import LONDON
from storage.db import insert_for
from storage.models import (
    AttendanceChange,
    AttendanceRecord,
    AttendanceStatus,
    ChecklistItem,
    ChecklistStatus,
    ChronologyEntry,
    Contact,
    ObjectiveReview,
    Person,
    Placement,
    PlacementChange,
    PlacementObjective,
    QaVisit,
    ReadingCursor,
    WelfareCall,
    WelfareCallAttempt,
)
from storage.services.chronology import SYSTEM_AUTHOR

PAGE_SIZE = 10


@dataclass(frozen=True)
class Item:
    """One thing in a placement's record: `what` it is (start, end, visit, contact, absence,
    mark_change, welfare_call, welfare_attempt, chronology, check, change), the day it is about, and
    the record itself. `author` is who recorded it (SYSTEM_AUTHOR for an automatic entry)."""

    part: Reading
    what: str
    day: dt.date
    stamp: dt.datetime
    record_id: int
    record: Any
    author: str | None = None
    # Whose job it is (an open welfare call's assignee), when not yet done.
    assigned: str | None = None
    # A QA visit's judgements of progress: (the objective's number, the review), in order.
    progress: tuple[tuple[int, ObjectiveReview], ...] = ()

    @property
    def key(self) -> list[Any]:
        """Its place in the record, newest first: the day, then when it was recorded."""
        stamp = self.stamp if self.stamp.tzinfo else self.stamp.replace(tzinfo=dt.UTC)
        return [
            self.day.isoformat(),
            stamp.astimezone(dt.UTC).isoformat(),
            self.what,
            self.record_id,
        ]


@dataclass(frozen=True)
class Page:
    items: list[Item]
    total: int
    # How many remain after this page.
    left: int

    @property
    def last_key(self) -> list[Any]:
        return self.items[-1].key if self.items else []


def _utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


async def _people(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, Person]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await session.scalars(select(Person).where(Person.id.in_(wanted)))
    return {person.id: person for person in rows}


async def record_items(
    session: AsyncSession,
    person: Person,
    placement: Placement,
    parts: Iterable[Reading],
    *,
    today: dt.date,
    place: int | None = None,
) -> list[Item]:
    """The items of these `parts` of the placement's record that this person may read,
    newest first. Parts they may not read at all are left out (see `storage.access.readable`)."""
    allowed = readable(person, placement, today=today, place=place)
    wanted = set(parts) & allowed
    items: list[Item] = []
    pid = placement.id

    if Reading.placement in wanted:
        items.append(
            Item(
                Reading.placement,
                "start",
                placement.start_date,
                placement.created_at,
                pid,
                placement,
            )
        )
        if placement.ended_on is not None:
            closed = placement.closed_at or _utc(placement.ended_on)
            items.append(Item(Reading.placement, "end", placement.ended_on, closed, pid, placement))

    if Reading.visits in wanted:
        numbers = {
            objective.id: objective.position
            for objective in await session.scalars(
                select(PlacementObjective).where(PlacementObjective.placement_id == pid)
            )
        }
        judged: dict[int, list[tuple[int, ObjectiveReview]]] = {}
        for review in await session.scalars(
            select(ObjectiveReview)
            .where(ObjectiveReview.placement_id == pid, ObjectiveReview.visit_id.is_not(None))
            .order_by(ObjectiveReview.id)
        ):
            assert review.visit_id is not None
            judged.setdefault(review.visit_id, []).append(
                (numbers.get(review.objective_id, 0), review)
            )
        for visit in (
            await session.scalars(select(QaVisit).where(QaVisit.placement_id == pid))
        ).unique():
            items.append(
                Item(
                    Reading.visits,
                    "visit",
                    visit.visit_date,
                    visit.created_at,
                    visit.id,
                    visit,
                    visit.visitor.name,
                    progress=tuple(sorted(judged.get(visit.id, []), key=lambda j: j[0])),
                )
            )

    contacts = (
        list(await session.scalars(select(Contact).where(Contact.placement_id == pid)))
        if Reading.contacts in wanted
        else []
    )
    attendance = (
        list(
            await session.scalars(
                select(AttendanceRecord).where(
                    AttendanceRecord.placement_id == pid,
                    AttendanceRecord.status != AttendanceStatus.present,
                )
            )
        )
        if Reading.attendance in wanted
        else []
    )
    changes = (
        list(
            await session.scalars(
                select(AttendanceChange).where(AttendanceChange.placement_id == pid)
            )
        )
        if Reading.attendance in wanted
        else []
    )
    calls = (
        list(
            (
                await session.scalars(select(WelfareCall).where(WelfareCall.placement_id == pid))
            ).unique()
        )
        if Reading.welfare_calls in wanted
        else []
    )
    attempts = (
        list(
            await session.scalars(
                select(WelfareCallAttempt).where(WelfareCallAttempt.placement_id == pid)
            )
        )
        if calls
        else []
    )
    entries = (
        list(
            await session.scalars(
                select(ChronologyEntry).where(ChronologyEntry.placement_id == pid)
            )
        )
        if Reading.chronology in wanted
        else []
    )
    checks = (
        list(
            await session.scalars(
                select(ChecklistItem).where(
                    ChecklistItem.placement_id == pid,
                    ChecklistItem.status != ChecklistStatus.not_done,
                    ChecklistItem.done_at.is_not(None),
                )
            )
        )
        if Reading.checklist in wanted
        else []
    )
    placement_changes = (
        list(
            await session.scalars(
                select(PlacementChange).where(PlacementChange.placement_id == pid)
            )
        )
        if Reading.changes in wanted
        else []
    )
    people = await _people(
        session,
        [c.changed_by_id for c in placement_changes]
        + [c.person_id for c in contacts]
        + [a.reported_by_id for a in attendance]
        + [c.changed_by_id for c in changes]
        + [c.assigned_to_id for c in calls]
        + [c.done_by_id for c in calls]
        + [a.made_by_id for a in attempts]
        + [e.recorded_by_id for e in entries]
        + [c.done_by_id for c in checks],
    )

    def name(person_id: int | None) -> str | None:
        found = people.get(person_id) if person_id is not None else None
        return found.name if found else None

    def org(person_id: int | None) -> int | None:
        found = people.get(person_id) if person_id is not None else None
        return found.organisation_id if found else None

    for contact in contacts:
        items.append(
            Item(
                Reading.contacts,
                "contact",
                contact.contact_date,
                contact.created_at,
                contact.id,
                contact,
                name(contact.person_id),
            )
        )
    for mark in attendance:
        if can_read_report(person, placement, org(mark.reported_by_id)):
            # AM before PM on the same day: the reported time orders them.
            items.append(
                Item(
                    Reading.attendance,
                    "absence",
                    mark.date,
                    mark.reported_at,
                    mark.id,
                    mark,
                    name(mark.reported_by_id),
                )
            )
    for change in changes:
        if can_read_report(person, placement, org(change.changed_by_id)):
            changed_on = change.changed_at.date()
            items.append(
                Item(
                    Reading.attendance,
                    "mark_change",
                    changed_on,
                    change.changed_at,
                    change.id,
                    change,
                    name(change.changed_by_id),
                )
            )
    call_author: dict[int, int | None] = {}
    for call in calls:
        author = call.done_by_id or call.assigned_to_id
        author_org = org(author)
        if author_org is None and call.party.value == "provider":
            author_org = placement.provider_id
        call_author[call.id] = author_org
        if can_read_report(person, placement, author_org):
            items.append(
                Item(
                    Reading.welfare_calls,
                    "welfare_call",
                    call.absence_date,
                    call.created_at,
                    call.id,
                    call,
                    name(call.done_by_id),
                    assigned=name(call.assigned_to_id),
                )
            )
    for attempt in attempts:
        if can_read_report(person, placement, call_author.get(attempt.welfare_call_id)):
            items.append(
                Item(
                    Reading.welfare_calls,
                    "welfare_attempt",
                    attempt.called_at.date(),
                    attempt.called_at,
                    attempt.id,
                    attempt,
                    name(attempt.made_by_id),
                )
            )
    for entry in entries:
        if can_read_entry(person, placement, entry, today=today):
            written_by = SYSTEM_AUTHOR if entry.automatic else name(entry.recorded_by_id)
            items.append(
                Item(
                    Reading.chronology,
                    "chronology",
                    entry.entry_date,
                    entry.created_at,
                    entry.id,
                    entry,
                    written_by,
                )
            )
    for check in checks:
        assert check.done_at is not None
        items.append(
            Item(
                Reading.checklist,
                "check",
                check.done_at.date(),
                check.done_at,
                check.id,
                check,
                name(check.done_by_id),
            )
        )
    for placement_change in placement_changes:
        items.append(
            Item(
                Reading.changes,
                "change",
                placement_change.changed_at.astimezone(LONDON).date(),
                placement_change.changed_at,
                placement_change.id,
                placement_change,
                name(placement_change.changed_by_id),
            )
        )
    items.sort(key=lambda item: item.key, reverse=True)
    return items


def page_of(items: list[Item], *, after: list[Any] | None = None, size: int = PAGE_SIZE) -> Page:
    """The next `size` items (newest first) after the item whose key is `after` (None: the
    first page). Keyed, not counted: an entry added meanwhile does not repeat one shown."""
    rest = [item for item in items if not after or item.key < after]
    return Page(items=rest[:size], total=len(items), left=max(len(rest) - size, 0))


async def remember(
    session: AsyncSession,
    *,
    person_id: int,
    conversation: str,
    reading: str,
    reference: str,
    after: list[Any],
    at: dt.datetime,
) -> None:
    """Keep where this person is in a reading here, for `more` (one reading per conversation)."""
    values = {
        "person_id": person_id,
        "conversation": conversation,
        "reading": reading,
        "reference": reference,
        "after": after,
        "updated_at": at,
    }
    statement = insert_for(session, ReadingCursor).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=["person_id", "conversation"],
        set_={k: v for k, v in values.items() if k not in ("person_id", "conversation")},
    )
    await session.execute(statement)


async def where_reading(
    session: AsyncSession, *, person_id: int, conversation: str
) -> ReadingCursor | None:
    """Where this person is in the last thing they read here, if anything is left of it."""
    return await session.scalar(
        select(ReadingCursor).where(
            ReadingCursor.person_id == person_id, ReadingCursor.conversation == conversation
        )
    )


async def forget(session: AsyncSession, cursor: ReadingCursor) -> None:
    """Nothing more to read: `more` says so until the next reading."""
    await session.delete(cursor)
