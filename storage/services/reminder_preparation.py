"""The day's reminders prepared ahead of the reminder time, and only what changed reconciled at it.

At national scale gathering and writing a day's ~24,000 reminders takes seconds, most of it
PostgreSQL writing the rows. So a pass earlier on the school day (REMINDER_PREPARE_AT, 06:00 by
default) evaluates the rules *as at the reminder time* and writes the day's reminders into the
outbox already, each with its due time (08:30) and the id of the preparation that wrote it
(`ReminderPreparation`). Such a row is *held*: delivery does not claim it and a person's notices
do not show it (`storage.services.outbox.deliverable`) until the preparation is released.

The first pass at or after the reminder time reconciles each part in one transaction (the same
transaction that records the day swept, `reminder_sweeps`):
- what changed since the preparation is read from the audit log, which records every change in
  the transaction that makes it, in commit order (`seq`; appends are serialised): the entries
  after the `seq` read before the preparation's facts name the placements touched since;
- for those placements only, the held rows are deleted (never claimed or shown, so nobody has
  seen them; deleting rather than expiring leaves their keys free, as if never written, which is
  what a sweep at the reminder time would find), their facts gathered again and what is due
  queued, each key once;
- a change the reminders may read that is not about one placement (a person's role, an
  organisation, term dates, a snooze with no placement, anything unattributable) or a reminder
  time different from the one prepared for: every held row of the part is deleted and the part
  is swept whole, as without preparation;
- then the preparation is released: its remaining rows become deliverable at once.
A part with no preparation (the bot started after the preparation time, or it failed) is swept
whole, as before. Either way the rows deliverable after the reminder time are what a sweep at
that time would have queued.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_for
from storage.models import (
    AuditEntry,
    OutboxMessage,
    Placement,
    ReminderPreparation,
    ReminderSweep,
)
from storage.rules.calendar import SchoolCalendar, at_london, london_date
from storage.rules.nudges import NudgeTimes, due_nudges
from storage.services.chunks import among
from storage.services.nudge_facts import gather_facts, name_fresh
from storage.services.nudges import not_yet_queued, queue_nudges

# Audit actions that change nothing (a file read out of the bot).
READS = frozenset({"exported", "census_exported"})
# Records about no placement that no reminder reads (where messages are delivered).
UNREAD_RECORDS = frozenset({"SharedChannel", "WorkspaceLink"})
# What the reminders read of a person: whose safeguarding lead they are.
PERSON_COLUMNS_READ = frozenset({"role", "active", "organisation_id"})


def preparation_is_due(now: dt.datetime, times: NudgeTimes, prepare_at: dt.time) -> bool:
    """Whether today's reminders can be prepared now: a school day (before term breaks, which
    each placement's own calendar applies), from `prepare_at` until the reminder time."""
    today = london_date(now)
    return SchoolCalendar().is_school_day(today) and at_london(
        today, prepare_at
    ) <= now < at_london(today, times.reminders)


async def prepared_parts(session: AsyncSession, day: dt.date) -> set[int]:
    """The parts of `day` prepared (by committed preparations)."""
    rows = await session.scalars(
        select(ReminderPreparation.part).where(ReminderPreparation.day == day)
    )
    return set(rows)


async def prepare_part(
    session: AsyncSession,
    now: dt.datetime,
    times: NudgeTimes,
    *,
    instance: str,
    part: int,
    parts: int,
    commissioners: Collection[int] | None,
) -> int:
    """Prepare one part of today's reminders in the caller's transaction (held until
    released), unless it is already prepared or swept; how many were written."""
    today = london_date(now)
    swept = await session.scalar(
        select(ReminderSweep.part).where(ReminderSweep.day == today, ReminderSweep.part == part)
    )
    if swept is not None:
        return 0
    # Read before the facts: whatever commits after this has a later `seq` (see the module).
    seq = await session.scalar(select(func.coalesce(func.max(AuditEntry.seq), 0)))
    # Inserted if absent: a part another instance prepared meanwhile is left alone.
    preparation_id = await session.scalar(
        insert_for(session, ReminderPreparation)
        .values(
            day=today,
            part=part,
            parts=parts,
            prepared_at=now,
            instance=instance,
            audit_seq=int(seq or 0),
            reminder_time=times.reminders,
            prepared=0,
        )
        .on_conflict_do_nothing(index_elements=["day", "part"])
        .returning(ReminderPreparation.id)
    )
    if preparation_id is None:
        return 0
    due = at_london(today, times.reminders)
    facts = await gather_facts(session, due, times, timely=False, commissioners=commissioners)
    fresh = await not_yet_queued(session, due_nudges(facts, timely=False))
    named = await name_fresh(session, facts, fresh)
    prepared = await queue_nudges(session, named, looked_up=True, preparation_id=preparation_id)
    await session.execute(
        update(ReminderPreparation)
        .where(ReminderPreparation.id == preparation_id)
        .values(prepared=prepared)
    )
    return prepared


async def held_preparation(
    session: AsyncSession, day: dt.date, part: int, parts: int
) -> ReminderPreparation | None:
    """`day`'s `part` of `parts` prepared and not yet released, if it is."""
    found: ReminderPreparation | None = await session.scalar(
        select(ReminderPreparation).where(
            ReminderPreparation.day == day,
            ReminderPreparation.part == part,
            ReminderPreparation.parts == parts,
            ReminderPreparation.released_at.is_(None),
        )
    )
    return found


@dataclass(frozen=True)
class Changed:
    """What changed since a preparation: the placements touched, or why everything may have."""

    placements: frozenset[int] = frozenset()
    everything: str | None = None


async def changed_since(session: AsyncSession, seq: int) -> Changed:
    """What the audit log's entries after `seq` touched, as far as the reminders read it."""
    rows = await session.execute(
        select(
            AuditEntry.action,
            AuditEntry.record_type,
            AuditEntry.record_id,
            AuditEntry.placement_id,
            AuditEntry.changes,
        ).where(AuditEntry.seq > seq)
    )
    placements: set[int] = set()
    pupils: set[int] = set()
    for action, record_type, record_id, placement_id, changes in rows:
        why = _touches(action, record_type, placement_id, changes)
        if why is not None:
            return Changed(everything=why)
        if record_type == "Pupil":  # a name: in every reminder about any of their placements
            pupils.add(record_id)
        elif placement_id is not None:
            placements.add(placement_id)
    for chosen in among(session, Placement.pupil_id, pupils):
        placements.update(await session.scalars(select(Placement.id).where(chosen)))
    return Changed(placements=frozenset(placements))


def _touches(
    action: str, record_type: str, placement_id: int | None, changes: dict[str, Any] | None
) -> str | None:
    """Why an audit entry may change reminders about many placements (None: it does not, or
    only about its own placement or pupil)."""
    if action in READS or record_type == "Pupil" or placement_id is not None:
        return None
    if record_type in UNREAD_RECORDS:
        return None
    if record_type == "Person" and action == "updated":
        if not PERSON_COLUMNS_READ & set(changes or {}):
            return None  # a chat identity linked, an email corrected
    return f"a {record_type} {action} (not about one placement)"


async def reconcile_preparation(
    session: AsyncSession,
    preparation: ReminderPreparation,
    now: dt.datetime,
    times: NudgeTimes,
    *,
    commissioners: Collection[int] | None,
) -> int | None:
    """Settle a held preparation at the reminder time, in the caller's transaction, and release
    it: the reminders of the placements changed since withdrawn and queued again as the rules
    now say. How many of the part's reminders are deliverable; None when the part must be swept
    whole (its held rows are withdrawn, the preparation released with the reason)."""
    changed = await changed_since(session, preparation.audit_seq)
    why = changed.everything
    if preparation.reminder_time != times.reminders:
        why = "the reminder time changed"
    release = update(ReminderPreparation).where(ReminderPreparation.id == preparation.id)
    held = OutboxMessage.preparation_id == preparation.id
    if why is not None:
        await session.execute(delete(OutboxMessage).where(held))
        await session.execute(release.values(released_at=now, outcome=f"swept whole: {why}"[:200]))
        return None
    touched = sorted(changed.placements)
    withdrawn = 0
    for chosen in among(session, OutboxMessage.placement_id, touched):
        result = await session.execute(delete(OutboxMessage).where(held, chosen))
        withdrawn += int(result.rowcount)  # type: ignore[attr-defined]
    added = 0
    if touched:
        facts = await gather_facts(
            session, now, times, timely=False, commissioners=commissioners, placements=touched
        )
        fresh = await not_yet_queued(session, due_nudges(facts, timely=False))
        added = await queue_nudges(session, await name_fresh(session, facts, fresh), looked_up=True)
    await session.execute(
        release.values(
            released_at=now,
            outcome=f"{len(touched)} placement(s) reconciled: {withdrawn} withdrawn, {added} queued",
        )
    )
    return preparation.prepared - withdrawn + added


async def discard_unreleased(
    session: AsyncSession, today: dt.date, *, parts: int, at: dt.datetime
) -> int:
    """Withdraw the reminders of preparations never released before `today` (the bot was down
    from before the reminder time to the end of that day), and today's prepared in another
    number of parts than the sweep's now (REMINDER_SWEEP_PARTS changed in between): held, so
    never sent or shown; their keys are freed, and the sweep queues what is due. How many
    rows."""
    stale = select(ReminderPreparation.id).where(
        ReminderPreparation.released_at.is_(None),
        or_(
            ReminderPreparation.day < today,
            and_(ReminderPreparation.day == today, ReminderPreparation.parts != parts),
        ),
    )
    if (await session.scalar(stale.limit(1))) is None:
        return 0
    ids = list(await session.scalars(stale))
    result = await session.execute(
        delete(OutboxMessage).where(OutboxMessage.preparation_id.in_(ids))
    )
    # Released with nothing left in it, so it is not looked at again.
    await session.execute(
        update(ReminderPreparation)
        .where(ReminderPreparation.id.in_(ids))
        .values(released_at=at, outcome="withdrawn: not reconciled that day")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
