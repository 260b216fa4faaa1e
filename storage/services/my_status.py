"""What is due or overdue for one person: the facts behind `status` and the Slack App Home
(each words them itself)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import SAFEGUARDING_ROLES, Action, can, placements_query
from storage.clock import LONDON
from storage.models import (
    ChecklistItem,
    ChecklistStatus,
    ConcernSeverity,
    Person,
    Placement,
    Role,
    WelfareCall,
    WelfareCallParty,
    WelfareCallStatus,
)
from storage.rules import cadence
from storage.services.concern_reviews import open_reviews
from storage.services.terms import placements_days

# How far ahead a check counts as due soon.
SOON_DAYS = 14


class DueKind(enum.StrEnum):
    # A serious concern's "review this placement now", for the safeguarding leads to decide.
    review = "review"
    welfare_call = "welfare_call"
    check = "check"
    qa_visit = "qa_visit"


@dataclasses.dataclass(frozen=True)
class DueItem:
    """One thing to do: a welfare call to make, a check or a QA visit due (or overdue)."""

    kind: DueKind
    placement: Placement
    # The day it is about: the absence (a welfare call), or when it is due (None: a QA visit
    # never planned, which counts as overdue).
    due: dt.date | None
    overdue: bool
    # A check's key (`storage.rules.checklist`); None for the others.
    check: str | None = None
    # A review's kind of serious concern; None for the others.
    severity: ConcernSeverity | None = None


@dataclasses.dataclass(frozen=True)
class MyStatus:
    """The person's active placements and what is due on them."""

    today: dt.date
    placements: int
    items: list[DueItem]

    @property
    def overdue(self) -> int:
        return sum(item.overdue for item in self.items)

    @property
    def due_soon(self) -> int:
        return sum(not item.overdue for item in self.items)

    def counts(self) -> dict[str, object]:
        return {"placements": self.placements, "overdue": self.overdue, "due_soon": self.due_soon}


async def my_status(
    session: AsyncSession, person: Person, *, today: dt.date, place: int | None = None
) -> MyStatus:
    """Everything due or overdue for this person on their active placements (`place`: only a
    shared channel's organisation's): a serious concern's review still to decide (for the
    safeguarding leads), their checks due within SOON_DAYS (every check for a safeguarding
    lead), QA visits due for those who log them, and the open welfare calls that are theirs to
    make (a provider's: the provider's; the school's otherwise)."""
    mine = placements_query(person, place=place)
    placements = list((await session.scalars(mine)).unique())
    by_id = {p.id: p for p in placements}
    items: list[DueItem] = []
    if not placements:
        return MyStatus(today=today, placements=0, items=items)
    if person.role != Role.provider:
        query = select(ChecklistItem).where(
            ChecklistItem.placement_id.in_(by_id),
            ChecklistItem.status == ChecklistStatus.not_done,
            ChecklistItem.due_date <= today + dt.timedelta(days=SOON_DAYS),
        )
        if person.role not in SAFEGUARDING_ROLES:
            query = query.where(ChecklistItem.owner_id == person.id)
        for item in await session.scalars(query.order_by(ChecklistItem.due_date)):
            items.append(
                DueItem(
                    kind=DueKind.check,
                    placement=by_id[item.placement_id],
                    due=item.due_date,
                    overdue=item.due_date is not None and item.due_date < today,
                    check=item.key,
                )
            )
        days = await placements_days(
            session, {(p.commissioner_id, p.provider_id) for p in placements}, today=today
        )
        for p in placements:
            # In term time: a visit falling due in the holidays is due on the first day back.
            calendar = days[(p.commissioner_id, p.provider_id)]
            state = cadence.qa_state(p.next_qa_due, today, calendar=calendar)
            if state != "ok" and can(person, Action.log_visit, p):
                items.append(
                    DueItem(
                        kind=DueKind.qa_visit,
                        placement=p,
                        due=p.next_qa_due,
                        overdue=state == "overdue",
                    )
                )
    deciding = [p.id for p in placements if can(person, Action.decide_review, p)]
    for placement_id, reviews in (await open_reviews(session, deciding)).items():
        for review in reviews:
            items.append(
                DueItem(
                    kind=DueKind.review,
                    placement=by_id[placement_id],
                    due=review.raised_at.astimezone(LONDON).date(),
                    overdue=True,
                    severity=review.severity,
                )
            )
    calls = select(WelfareCall).where(
        WelfareCall.placement_id.in_(by_id), WelfareCall.status == WelfareCallStatus.open
    )
    if person.role == Role.provider:
        calls = calls.where(WelfareCall.party == WelfareCallParty.provider)
    else:
        # "The school" makes the call for a placement it commissions: an LA officer, who sees
        # every placement in the LA, makes only the LA's own placements' calls.
        ours = [p.id for p in placements if p.commissioner_id == person.organisation_id]
        calls = calls.where(
            or_(
                WelfareCall.assigned_to_id == person.id,
                and_(
                    WelfareCall.party == WelfareCallParty.school,
                    WelfareCall.placement_id.in_(ours),
                ),
            )
        )
    for call in (await session.scalars(calls.order_by(WelfareCall.absence_date))).unique():
        items.append(
            DueItem(
                kind=DueKind.welfare_call,
                placement=by_id[call.placement_id],
                due=call.absence_date,
                overdue=True,
            )
        )
    return MyStatus(today=today, placements=len(placements), items=items)
