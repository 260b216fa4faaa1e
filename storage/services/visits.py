"""Quality-assurance visits: what the visitor saw and heard, and when the next visit is due.

The guidance: visit the setting and the pupil at least twice a term, talking with the pupil
each time. A concern raised on a visit starts a chronology entry and alerts the DSL at once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import LONDON
from storage.models import (
    ChecklistItem,
    ChecklistStatus,
    ChronologyKind,
    ChronologySource,
    OrgKind,
    Person,
    Placement,
    PlacementStatus,
    QaRating,
    QaVisit,
)
from storage.rules import cadence, checklist
from storage.rules.calendar import SchoolCalendar
from storage.services.audit import Change, audit_created, audit_updated, snapshot
from storage.services.chronology import add_entry
from storage.services.outbox import enqueue, safeguarding_leads
from storage.services.placements import ensure_loaded
from storage.services.terms import placement_days
from storage.wording import NoticeKind, alerts


class VisitError(ValueError):
    """A QA visit that cannot be recorded, in words for the person."""


def _clean(text: str | None) -> str | None:
    stripped = (text or "").strip()
    return stripped or None


def qa_interval_days(placement: Placement) -> int:
    """How often the commissioner wants visits (every half-term unless they set otherwise)."""
    return placement.commissioner.qa_interval_days or cadence.QA_INTERVAL_DAYS


async def log_visit(
    session: AsyncSession,
    change: Change,
    *,
    placement: Placement,
    visit_date: dt.date,
    pupil_seen: bool,
    pupil_voice: str | None,
    setting_safe: bool,
    register_matches: bool,
    concerns: str | None,
    rating: QaRating,
    actions_agreed: str | None,
    next_visit_due: dt.date,
    why_not_seen: str | None = None,
    register_difference: str | None = None,
) -> QaVisit:
    """Record a QA visit and set when the next one is due (both audited).

    A concern, or a setting judged not safe, also starts a chronology entry (source: school)
    and alerts the commissioner's safeguarding leads. When the pupil was not seen, the reason
    is kept in place of the pupil's words.

    A setting found unsafe, or a placement rated inadequate: the safeguarding leads are
    alerted, the revisit must be within 5 school days, and "review this placement" becomes a
    due check. A register that did not match: what differed becomes a follow-up check for the
    visitor.
    """
    today = change.at.astimezone(LONDON).date()
    await ensure_loaded(session, placement)
    if change.person_id is None:
        raise VisitError("A QA visit must say who visited.")
    if placement.status != PlacementStatus.active:
        raise VisitError(f"{placement.reference} has ended, so no more visits are due.")
    if visit_date > today:
        raise VisitError("The visit date can't be in the future.")
    if visit_date < placement.start_date:
        raise VisitError(
            f"The visit date can't be before the placement started ({placement.start_date:%d/%m/%Y})."
        )
    calendar = await placement_calendar(session, placement, min(visit_date, today))
    latest = cadence.latest_allowed_next_visit(
        visit_date, interval_days=qa_interval_days(placement), calendar=calendar
    )
    revisit = cadence.needs_revisit(
        setting_safe=setting_safe, inadequate=rating == QaRating.inadequate
    )
    if revisit:
        latest = min(latest, cadence.latest_revisit(visit_date, today, calendar))
    if next_visit_due <= visit_date:
        raise VisitError("The next visit must be after this one.")
    if next_visit_due > latest and revisit:
        raise VisitError(
            f"{revisit_reason(setting_safe, rating)}: please revisit within "
            f"{cadence.REVISIT_SCHOOL_DAYS} school days, by {latest:%d/%m/%Y}."
        )
    if next_visit_due > latest:
        raise VisitError(f"At least twice a term: the next visit must be by {latest:%d/%m/%Y}.")
    difference = _clean(register_difference)
    if not register_matches and difference is None:
        raise VisitError("Please say what differed between the register and what you found.")
    voice = _clean(pupil_voice)
    if pupil_seen and voice is None:
        raise VisitError("Please record what the pupil told you, in their own words.")
    reason = None if pupil_seen else _clean(why_not_seen)
    if not pupil_seen and reason is None:
        raise VisitError("Please say why the pupil wasn't seen.")
    concern_text = _clean(concerns)

    visit = QaVisit(
        placement_id=placement.id,
        visit_date=visit_date,
        visitor_id=change.person_id,
        pupil_seen=pupil_seen,
        pupil_voice=voice if pupil_seen else None,
        why_not_seen=reason,
        setting_safe=setting_safe,
        register_matches=register_matches,
        concerns=concern_text,
        rating=rating,
        actions_agreed=_clean(actions_agreed),
        next_visit_due=next_visit_due,
        created_at=change.at,
    )
    session.add(visit)
    await audit_created(session, change, visit, placement_id=placement.id)

    before = snapshot(placement)
    placement.next_qa_due = next_visit_due
    await audit_updated(session, change, placement, before, placement_id=placement.id)

    then = (
        alerts.qa_revisit_due(
            reason=revisit_reason(setting_safe, rating),
            due=next_visit_due,
            reference=placement.reference,
        )
        if revisit
        else ""
    )
    if concern_text or not setting_safe:
        await _raise_concern(session, change, placement, visit, then=then)
    elif revisit:
        await _alert_revisit(session, change, placement, visit, then=then)
    if revisit:
        await raise_follow_up(
            session,
            change,
            placement,
            key=checklist.PLACEMENT_REVIEW,
            due=calendar.add_school_days(today, 1),
            owner_id=None,
            evidence=f"QA visit {visit_date:%d/%m/%Y}: {revisit_reason(setting_safe, rating)}. "
            f"Revisit by {next_visit_due:%d/%m/%Y}.",
        )
    if not register_matches and difference is not None:
        await raise_follow_up(
            session,
            change,
            placement,
            key=checklist.REGISTER_FOLLOW_UP,
            due=calendar.add_school_days(today, cadence.REVISIT_SCHOOL_DAYS),
            owner_id=change.person_id,
            evidence=f"QA visit {visit_date:%d/%m/%Y}: {difference}",
        )
    return visit


def revisit_reason(setting_safe: bool, rating: QaRating) -> str:
    """Why a revisit is due soon, in a few words."""
    if not setting_safe and rating == QaRating.inadequate:
        return "the setting was found not safe and the placement rated inadequate"
    if not setting_safe:
        return "the setting was found not safe and secure"
    return "the placement was rated inadequate"


async def placement_calendar(
    session: AsyncSession, placement: Placement, today: dt.date
) -> SchoolCalendar:
    """School days for this placement: its commissioner's and its provider's breaks."""
    return await placement_days(
        session,
        commissioner_id=placement.commissioner_id,
        provider_id=placement.provider_id,
        today=today,
    )


async def raise_follow_up(
    session: AsyncSession,
    change: Change,
    placement: Placement,
    *,
    key: str,
    due: dt.date,
    owner_id: int | None,
    evidence: str,
) -> ChecklistItem:
    """Make a follow-up (a review, a register check) a due check on the placement: a new
    checklist item, or the same one opened again with the new detail (audited either way).
    No owner: the commissioner's safeguarding leads are chased."""
    item = await session.scalar(
        select(ChecklistItem).where(
            ChecklistItem.placement_id == placement.id, ChecklistItem.key == key
        )
    )
    if item is None:
        item = ChecklistItem(
            placement_id=placement.id,
            key=key,
            status=ChecklistStatus.not_done,
            due_date=due,
            evidence=evidence,
            owner_id=owner_id,
        )
        session.add(item)
        await audit_created(session, change, item, placement_id=placement.id)
        return item
    before = snapshot(item)
    item.status, item.done_by_id, item.done_at = ChecklistStatus.not_done, None, None
    item.due_date = min(due, item.due_date) if item.due_date else due
    item.evidence, item.owner_id = evidence, owner_id
    await audit_updated(session, change, item, before, placement_id=placement.id)
    return item


async def _alert_revisit(
    session: AsyncSession, change: Change, placement: Placement, visit: QaVisit, *, then: str
) -> None:
    """The safeguarding leads hear at once that the placement needs a revisit and a review
    (when no concern alert already tells them)."""
    for lead in await safeguarding_leads(session, placement.commissioner_id):
        await enqueue(
            session,
            key=f"qa-revisit:{visit.id}:{lead.id}",
            kind=NoticeKind.qa_revisit,
            recipient_id=lead.id,
            placement_id=placement.id,
            due_at=change.at,
            text=alerts.qa_revisit(
                pupil=placement.pupil.known_as,
                reference=placement.reference,
                provider=placement.provider.name,
                day=visit.visit_date,
                then=then,
            ),
        )


def _concern_entry_text(visit: QaVisit) -> str:
    parts = [f"Raised on the QA visit of {visit.visit_date:%d/%m/%Y}."]
    if visit.concerns:
        parts.append(visit.concerns)
    if not visit.setting_safe:
        parts.append("The visitor judged the setting not safe and secure.")
    return " ".join(parts)


async def _raise_concern(
    session: AsyncSession, change: Change, placement: Placement, visit: QaVisit, *, then: str = ""
) -> None:
    """Start a chronology entry and alert the safeguarding leads (in a DM, so with detail)."""
    source = (
        ChronologySource.local_authority
        if placement.commissioner.kind == OrgKind.local_authority
        else ChronologySource.school
    )
    text = _concern_entry_text(visit)
    await add_entry(
        session,
        change,
        placement=placement,
        kind=ChronologyKind.concern,
        source=source,
        text=text,
        entry_date=visit.visit_date,
        shared_with=[],
    )
    visitor = await session.get(Person, visit.visitor_id)
    by = visitor.name if visitor else "the visitor"
    for lead in await safeguarding_leads(session, placement.commissioner_id):
        await enqueue(
            session,
            key=f"qa-concern:{visit.id}:{lead.id}",
            kind=NoticeKind.qa_concern,
            recipient_id=lead.id,
            placement_id=placement.id,
            due_at=change.at,
            text=alerts.qa_concern(
                pupil=placement.pupil.known_as,
                reference=placement.reference,
                provider=placement.provider.name,
                day=visit.visit_date,
                by=by,
                text=text,
                then=then,
            ),
        )
