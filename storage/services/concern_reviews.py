"""A concern reaches the commissioner's safeguarding leads at once, and a serious one (a setting
found unsafe, a disclosure, a pupil missing) opens a decision for them: review this placement
now. The decision (continue with actions, suspend, end) is recorded on the review and as a
chronology entry, and audited; until it is made the leads see it in `status`, in the digest and
in an urgent nudge (`storage/rules/nudges.py`).

Suspending is a decision recorded here and in the chronology; the placement's status stays
active (the school tells the provider and the pupil's family, and ends it with `end` if it
does not resume).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import LONDON
from storage.models import (
    ChronologyEntry,
    ChronologyKind,
    ChronologySource,
    ConcernReview,
    ConcernSeverity,
    OrgKind,
    Person,
    Placement,
    ReviewDecision,
)
from storage.services.audit import Change, audit_created, audit_updated, snapshot
from storage.services.chronology import ChronologyError, add_entry
from storage.services.outbox import enqueue, safeguarding_leads
from storage.services.placements import ensure_loaded
from storage.wording import NoticeKind, alerts

SEVERITY_WORDS = {
    ConcernSeverity.unsafe_setting: "the setting was found unsafe",
    ConcernSeverity.disclosure: "a disclosure",
    ConcernSeverity.pupil_missing: "the pupil is missing",
}
DECISION_WORDS = {
    ReviewDecision.continue_with_actions: "continue, with actions",
    ReviewDecision.suspend: "suspend the placement",
    ReviewDecision.end: "end the placement",
}


class ReviewError(ValueError):
    """A decision that cannot be recorded, in words for the person."""


async def log_concern(
    session: AsyncSession,
    change: Change,
    *,
    placement: Placement,
    kind: ChronologyKind,
    source: ChronologySource,
    text: str,
    entry_date: dt.date,
    shared_with: list[int],
    severity: ConcernSeverity | None = None,
) -> tuple[ChronologyEntry, ConcernReview | None]:
    """Add an entry to the chronology (`add_entry`); a concern from the commissioner's side
    reaches its safeguarding leads at once (a provider's already does, in `add_entry`), all but
    the one who wrote it; a serious one (`severity`) opens a review for them to decide."""
    entry = await add_entry(
        session,
        change,
        placement=placement,
        kind=kind,
        source=source,
        text=text,
        entry_date=entry_date,
        shared_with=shared_with,
    )
    await session.flush()
    leads = await safeguarding_leads(session, placement.commissioner_id)
    if kind == ChronologyKind.concern and source != ChronologySource.provider:
        author = await session.get(Person, change.person_id) if change.person_id else None
        for lead in leads:
            if lead.id == change.person_id:
                continue
            await enqueue(
                session,
                key=f"concern:{entry.id}:{lead.id}",
                kind=NoticeKind.chronology_update,
                recipient_id=lead.id,
                placement_id=placement.id,
                due_at=change.at,
                text=alerts.concern_logged(
                    pupil=placement.pupil.known_as,
                    reference=placement.reference,
                    by=author.name if author else None,
                    day=entry.entry_date,
                    text=entry.text,
                ),
            )
    review = None
    if kind == ChronologyKind.concern and severity is not None:
        review = await _open_review(session, change, placement, entry, severity, leads)
    return entry, review


async def _open_review(
    session: AsyncSession,
    change: Change,
    placement: Placement,
    entry: ChronologyEntry,
    severity: ConcernSeverity,
    leads: list[Person],
) -> ConcernReview:
    """The decision is put to every safeguarding lead at once, in a direct message (the kind
    of concern, never its words: they are in the chronology)."""
    review = ConcernReview(
        placement_id=placement.id,
        chronology_entry_id=entry.id,
        severity=severity,
        raised_by_id=change.person_id,
        raised_at=change.at,
    )
    session.add(review)
    await audit_created(session, change, review, placement_id=placement.id)
    await session.flush()
    for lead in leads:
        await enqueue(
            session,
            key=f"review-now:{review.id}:{lead.id}",
            kind=NoticeKind.review_now,
            recipient_id=lead.id,
            placement_id=placement.id,
            due_at=change.at,
            text=alerts.review_now(
                pupil=placement.pupil.known_as,
                reference=placement.reference,
                what=SEVERITY_WORDS[severity],
            ),
        )
    return review


async def open_reviews(
    session: AsyncSession, placement_ids: Collection[int]
) -> dict[int, list[ConcernReview]]:
    """The reviews still to decide on these placements, oldest first, by placement id."""
    found: dict[int, list[ConcernReview]] = {}
    if not placement_ids:
        return found
    rows = await session.scalars(
        select(ConcernReview)
        .where(
            ConcernReview.placement_id.in_(sorted(placement_ids)),
            ConcernReview.decided_at.is_(None),
        )
        .order_by(ConcernReview.raised_at, ConcernReview.id)
    )
    for review in rows:
        found.setdefault(review.placement_id, []).append(review)
    return found


async def decide(
    session: AsyncSession,
    change: Change,
    *,
    placement: Placement,
    decision: ReviewDecision,
    actions: str,
    action_by: str | None = None,
    action_due: dt.date | None = None,
) -> tuple[list[ConcernReview], ChronologyEntry]:
    """Record the safeguarding lead's decision on every open review of the placement: on the
    reviews, and as one chronology entry (an action, not shared with the provider). Continuing
    needs the actions, who does them and by when; suspending what happens meanwhile; ending why."""
    await ensure_loaded(session, placement)
    reviews = (await open_reviews(session, [placement.id])).get(placement.id, [])
    if not reviews:
        raise ReviewError(f"There is no review to decide for {placement.reference}.")
    words = actions.strip()
    if not words:
        raise ReviewError("Please say what is to happen.")
    if decision == ReviewDecision.continue_with_actions:
        if not (action_by or "").strip() or action_due is None:
            raise ReviewError("Please say who does the actions, and by when.")
        if action_due < change.at.astimezone(LONDON).date():
            raise ReviewError("The actions can't be due in the past.")
    concerns = ", ".join(
        f"{SEVERITY_WORDS[r.severity]} ({r.raised_at.astimezone(LONDON):%d/%m/%Y})" for r in reviews
    )
    text = f"Placement reviewed after a serious concern ({concerns}). Decision: "
    text += DECISION_WORDS[decision] + f". {words}"
    if decision == ReviewDecision.continue_with_actions:
        assert action_due is not None
        text += f" By: {(action_by or '').strip()}, by {action_due:%d/%m/%Y}."
    try:
        entry = await add_entry(
            session,
            change,
            placement=placement,
            kind=ChronologyKind.action,
            source=(
                ChronologySource.local_authority
                if placement.commissioner.kind == OrgKind.local_authority
                else ChronologySource.school
            ),
            text=text,
            entry_date=change.at.astimezone(LONDON).date(),
            shared_with=[],
        )
    except ChronologyError as error:
        raise ReviewError(str(error)) from error
    await session.flush()
    for review in reviews:
        before = snapshot(review)
        review.decision = decision
        review.decided_by_id = change.person_id
        review.decided_at = change.at
        review.actions = words
        review.action_by = (action_by or "").strip() or None
        review.action_due = action_due
        review.decision_entry_id = entry.id
        await audit_updated(session, change, review, before, placement_id=placement.id)
    return reviews, entry
