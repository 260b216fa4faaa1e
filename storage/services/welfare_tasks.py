"""Telling whoever owes a welfare call that it is theirs: when an absence opens the call, and
when the placement's welfare-call arrangement changes while the call is still open."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Placement, Role, WelfareCall, WelfareCallParty, WelfareCallStatus
from storage.services.audit import Change
from storage.services.outbox import enqueue, safeguarding_leads, staff_of
from storage.wording import NoticeKind, alerts, provider_notices


async def give_call(
    session: AsyncSession, change: Change, placement: Placement, call: WelfareCall
) -> None:
    """Tell whoever owes the call: the provider's staff (reference only), or the named person
    at the school (unless they already heard as a safeguarding lead)."""
    if call.party == WelfareCallParty.provider:
        for person in await staff_of(session, placement.provider_id, Role.provider):
            await enqueue(
                session,
                key=f"welfare-call:{call.id}:{person.id}",
                kind=NoticeKind.welfare_call_task,
                recipient_id=person.id,
                placement_id=placement.id,
                due_at=change.at,
                text=provider_notices.welfare_call_task(
                    reference=placement.reference, day=call.absence_date
                ),
                payload={"welfare_call_id": call.id},
            )
        return
    leads = {lead.id for lead in await safeguarding_leads(session, placement.commissioner_id)}
    if call.assigned_to_id is not None and call.assigned_to_id not in leads:
        await enqueue(
            session,
            key=f"welfare-call:{call.id}:{call.assigned_to_id}",
            kind=NoticeKind.welfare_call_task,
            recipient_id=call.assigned_to_id,
            placement_id=placement.id,
            due_at=change.at,
            text=alerts.welfare_call_task_school(
                pupil=placement.pupil.known_as,
                reference=placement.reference,
                provider=placement.provider.name,
                day=call.absence_date,
            ),
            payload={"welfare_call_id": call.id},
        )


async def open_call_days(session: AsyncSession, placement_id: int) -> list[dt.date]:
    """The days of the placement's welfare calls still to be made, earliest first."""
    days = await session.scalars(
        select(WelfareCall.absence_date)
        .where(
            WelfareCall.placement_id == placement_id, WelfareCall.status == WelfareCallStatus.open
        )
        .order_by(WelfareCall.absence_date)
    )
    return list(days)
