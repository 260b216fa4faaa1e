"""Nudges in the outbox: queueing what the rules say is owed (each key once), deciding just
before sending whether one still applies, and acting on a nudge's buttons (Done, Snooze, Open).

A nudge's outbox row carries in its payload what it is about (`subject`), the dialog its Open
button starts, what Done does (`tick` a check, or start the `present` register), whether it may
be snoozed, and when it goes stale (`expires_at`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Action, can
from storage.clock import LONDON
from storage.models import (
    AttendanceRecord,
    ChecklistItem,
    ChecklistStatus,
    ConcernReview,
    NudgeSnooze,
    OutboxMessage,
    PartTimeTimetable,
    Person,
    Placement,
    PlacementStatus,
    WelfareCall,
    WelfareCallStatus,
)
from storage.rules import checklist
from storage.rules.nudges import Nudge
from storage.services.audit import Change, audit_created, audit_updated, snapshot
from storage.services.chunks import among
from storage.services.outbox import MessageToQueue, enqueue_many
from storage.services.placements import update_checklist_item
from storage.wording import nudges as nudge_wording

NudgeAction = Literal["done", "snooze_day", "snooze_week", "open"]
SNOOZE_DAYS = {"snooze_day": 1, "snooze_week": 7}


@dataclass(frozen=True)
class NudgeOutcome:
    """What to tell the person who pressed a button, and the dialog to start (if any), e.g.
    `visit AP-7K3Q`, which the channel feeds into the dialog runner as if they had typed it."""

    text: str
    start_command: str | None = None


def payload_of(nudge: Nudge) -> dict[str, Any]:
    """The JSON a nudge's outbox row carries."""
    return {
        "subject": nudge.subject,
        "reference": nudge.reference,
        "open": nudge.open_command,
        "done": nudge.done,
        "snoozable": nudge.snoozable,
        "expires_at": nudge.expires_at.isoformat() if nudge.expires_at else None,
    }


async def not_yet_queued(session: AsyncSession, nudges: Sequence[Nudge]) -> list[Nudge]:
    """The nudges whose key is not in the outbox yet (looked up by the unique index)."""
    known: set[str] = set()
    for chosen in among(session, OutboxMessage.key, [n.key[:200] for n in nudges]):
        known.update(await session.scalars(select(OutboxMessage.key).where(chosen)))
    return [nudge for nudge in nudges if nudge.key[:200] not in known]


async def queue_nudges(
    session: AsyncSession,
    nudges: Sequence[Nudge],
    *,
    looked_up: bool = False,
    preparation_id: int | None = None,
) -> int:
    """Insert the nudges whose key is not in the outbox yet; how many were new.

    Looks the keys up first (by the unique index) so a pass that finds nothing new writes
    nothing, unless the caller just did (`looked_up`: `nudges` came from `not_yet_queued` in
    this transaction); the insert itself is still insert-if-absent, for two instances racing.
    Reminders prepared ahead carry their `preparation_id` (held until it is released)."""
    fresh = list(nudges) if looked_up else await not_yet_queued(session, nudges)
    return await enqueue_many(
        session,
        [
            MessageToQueue(
                key=nudge.key,
                kind=nudge.kind,
                text=nudge.text,
                due_at=nudge.due_at,
                recipient_id=nudge.recipient_id,
                placement_id=nudge.placement_id,
                payload=payload_of(nudge),
                preparation_id=preparation_id,
            )
            for nudge in fresh
        ],
    )


async def active_snoozes(session: AsyncSession, today: dt.date) -> dict[tuple[str, int], dt.date]:
    """Snoozes that still matter today: those not yet over, and those ending today (so a one-off
    reminder is sent once more)."""
    rows = await session.scalars(select(NudgeSnooze).where(NudgeSnooze.until >= today))
    return {(row.subject, row.person_id): row.until for row in rows}


# Messages (not nudges) that ask someone to act on a placement: not sent once it has ended or
# been withdrawn. Alerts about what happened before (a concern, an escalation) still go.
ASKS_TO_ACT = frozenset({"welfare_call_task", "placement_started"})


async def _closed(session: AsyncSession, placement_id: int) -> str | None:
    """Why nothing more is sent about the placement, if it has ended or been withdrawn."""
    # Just the status: loading the placement would read its pupil and checklist too.
    status = await session.scalar(select(Placement.status).where(Placement.id == placement_id))
    if status is not None and PlacementStatus(status).is_closed:
        return f"the placement {PlacementStatus(status).closed_phrase}"
    return None


async def why_stale(session: AsyncSession, row: OutboxMessage, now: dt.datetime) -> str | None:
    """Why a queued nudge should no longer be sent (None: it still applies). Messages that are
    not nudges (alerts queued by the dialogs) always apply."""
    payload = row.payload or {}
    subject = str(payload.get("subject") or "")
    if not subject:
        if row.kind in ASKS_TO_ACT and row.placement_id is not None:
            return await _closed(session, row.placement_id)
        return None
    expires = payload.get("expires_at")
    if expires and now >= dt.datetime.fromisoformat(expires):
        return f"out of date after {dt.datetime.fromisoformat(expires).astimezone(LONDON):%d/%m/%Y %H:%M}"
    kind, _, rest = subject.partition(":")
    if kind == "check":
        check = await session.scalar(
            select(ChecklistItem.status).where(ChecklistItem.id == int(rest))
        )
        if check != ChecklistStatus.not_done:
            return "the check was done"
    elif kind == "call":
        call = await session.scalar(select(WelfareCall.status).where(WelfareCall.id == int(rest)))
        if call != WelfareCallStatus.open:
            return "the welfare call was made"
    elif kind == "concern-review":  # a serious concern's "review this placement now"
        decided = await session.scalar(
            select(ConcernReview.decided_at).where(ConcernReview.id == int(rest))
        )
        if decided is not None:
            return "the placement was reviewed"
    elif kind == "part-time":
        running = await session.scalar(
            select(PartTimeTimetable.ends_on).where(
                PartTimeTimetable.placement_id == int(rest), PartTimeTimetable.ended_on.is_(None)
            )
        )
        if running is None:
            return "the part-time timetable has ended"
    elif kind == "report":
        placement_id, _, day = rest.partition(":")
        reported = await session.scalar(
            select(AttendanceRecord.id).where(
                AttendanceRecord.placement_id == int(placement_id),
                AttendanceRecord.date == dt.date.fromisoformat(day),
            )
        )
        if reported is not None:
            return "the attendance was reported"
    if row.placement_id is not None:
        closed = await _closed(session, row.placement_id)
        if closed is not None:
            return closed
    if payload.get("snoozable") and row.recipient_id is not None:
        until = await session.scalar(
            select(NudgeSnooze.until).where(
                NudgeSnooze.subject == subject, NudgeSnooze.person_id == row.recipient_id
            )
        )
        if until is not None and now.astimezone(LONDON).date() < until:
            return "snoozed"
    return None


async def act_on_nudge(
    session: AsyncSession, change: Change, *, outbox_id: int, action: NudgeAction
) -> NudgeOutcome:
    """Carry out a nudge's button for the person who pressed it (`change.person_id`), in the
    caller's transaction. Only the person the nudge was for may act on it."""
    row = await session.get(OutboxMessage, outbox_id)
    if row is None:
        return NudgeOutcome(text=nudge_wording.GONE)
    if row.recipient_id is None or row.recipient_id != change.person_id:
        return NudgeOutcome(text=nudge_wording.NOT_YOURS)
    payload = row.payload or {}
    open_command: str | None = payload.get("open")
    if action == "open":
        if open_command is None:
            return NudgeOutcome(text=nudge_wording.NO_DONE)
        return NudgeOutcome(
            text=nudge_wording.OPENING.format(command=open_command), start_command=open_command
        )
    if action == "done":
        return await _done(session, change, row, payload, open_command)
    if not payload.get("snoozable"):
        return NudgeOutcome(text=nudge_wording.NOT_SNOOZABLE, start_command=None)
    return await _snooze(session, change, row, str(payload["subject"]), SNOOZE_DAYS[action])


async def _done(
    session: AsyncSession,
    change: Change,
    row: OutboxMessage,
    payload: dict[str, Any],
    open_command: str | None,
) -> NudgeOutcome:
    done = payload.get("done")
    if done == "present":
        return NudgeOutcome(
            text=nudge_wording.OPENING.format(command="present"), start_command="present"
        )
    subject = str(payload.get("subject") or "")
    if done != "tick" or not subject.startswith("check:"):
        return NudgeOutcome(text=nudge_wording.NO_DONE, start_command=open_command)
    item = await session.get(ChecklistItem, int(subject.partition(":")[2]))
    person = await session.get(Person, change.person_id)
    placement = await session.get(Placement, item.placement_id) if item else None
    if item is None or placement is None or person is None:
        return NudgeOutcome(text=nudge_wording.GONE)
    label = checklist.definition(item.key).label
    if item.status != ChecklistStatus.not_done:
        return NudgeOutcome(
            text=nudge_wording.ALREADY_DONE.format(label=label, reference=placement.reference)
        )
    if not can(person, Action.tick_check, placement):
        return NudgeOutcome(text=nudge_wording.NOT_YOURS)
    await update_checklist_item(
        session, change, item, status=ChecklistStatus.done, evidence="Ticked from a reminder."
    )
    return NudgeOutcome(
        text=nudge_wording.TICKED.format(label=label, reference=placement.reference)
    )


async def _snooze(
    session: AsyncSession, change: Change, row: OutboxMessage, subject: str, days: int
) -> NudgeOutcome:
    assert change.person_id is not None
    until = change.at.astimezone(LONDON).date() + dt.timedelta(days=days)
    snooze = await session.scalar(
        select(NudgeSnooze).where(
            NudgeSnooze.subject == subject, NudgeSnooze.person_id == change.person_id
        )
    )
    if snooze is None:
        snooze = NudgeSnooze(
            subject=subject, person_id=change.person_id, until=until, created_at=change.at
        )
        session.add(snooze)
        await audit_created(session, change, snooze, placement_id=row.placement_id)
    else:
        before = snapshot(snooze)
        snooze.until = until
        await audit_updated(session, change, snooze, before, placement_id=row.placement_id)
    return NudgeOutcome(text=nudge_wording.SNOOZED.format(until=f"{until:%a %d/%m/%Y}"))
