"""Contacts about a placement: the regular (weekly) interaction with the provider, and contact
with a parent or carer or the pupil, kept apart from attendance and concerns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import LONDON
from storage.models import Contact, ContactMethod, ContactWith, Placement, PlacementStatus
from storage.services.audit import Change, audit_created
from storage.services.chunks import among

MAX_SUMMARY_LENGTH = 4000


class ContactError(ValueError):
    """A contact that cannot be recorded, in words for the person."""


async def log_contact(
    session: AsyncSession,
    change: Change,
    *,
    placement: Placement,
    contact_date: dt.date,
    method: ContactMethod,
    summary: str,
    with_whom: ContactWith = ContactWith.provider,
) -> Contact:
    """Record one contact about a placement, with the provider (the weekly contact), a parent
    or carer, or the pupil (and audit it)."""
    text = summary.strip()
    if change.person_id is None:
        raise ContactError("A contact must say who made it.")
    if placement.status != PlacementStatus.active:
        raise ContactError(f"{placement.reference} has ended.")
    if not text:
        raise ContactError("Please say briefly what was discussed.")
    if len(text) > MAX_SUMMARY_LENGTH:
        raise ContactError(f"Please keep the summary under {MAX_SUMMARY_LENGTH:,} characters.")
    if contact_date > change.at.astimezone(LONDON).date():
        raise ContactError("The contact date can't be in the future.")
    contact = Contact(
        placement_id=placement.id,
        contact_date=contact_date,
        person_id=change.person_id,
        with_whom=with_whom,
        method=method,
        summary=text,
        created_at=change.at,
    )
    session.add(contact)
    await audit_created(session, change, contact, placement_id=placement.id)
    return contact


async def last_provider_contact(session: AsyncSession, placement: Placement) -> dt.date | None:
    """The day of the latest contact with the provider (the weekly contact), if any."""
    return await session.scalar(
        select(func.max(Contact.contact_date)).where(
            Contact.placement_id == placement.id, Contact.with_whom == ContactWith.provider
        )
    )


@dataclass(frozen=True)
class ContactCounts:
    """How many contacts about a placement (or several) over a period, by who they were with:
    counted apart, so that many calls with a parent cannot hide no contact with the provider."""

    provider: int = 0
    parent_carer: int = 0
    pupil: int = 0

    def __add__(self, other: ContactCounts) -> ContactCounts:
        return ContactCounts(
            self.provider + other.provider,
            self.parent_carer + other.parent_carer,
            self.pupil + other.pupil,
        )

    @property
    def total(self) -> int:
        return self.provider + self.parent_carer + self.pupil


async def contact_counts(
    session: AsyncSession, placement_ids: Iterable[int], *, start: dt.date, end: dt.date
) -> dict[int, ContactCounts]:
    """Each placement's contacts from `start` to `end` (inclusive), by who they were with.
    Placements without any are left out (their counts are `ContactCounts()`)."""
    found: dict[int, dict[ContactWith, int]] = {}
    for placements in among(session, Contact.placement_id, placement_ids):
        for placement_id, with_whom, count in await session.execute(
            select(Contact.placement_id, Contact.with_whom, func.count())
            .where(placements, Contact.contact_date >= start, Contact.contact_date <= end)
            .group_by(Contact.placement_id, Contact.with_whom)
        ):
            found.setdefault(placement_id, {})[with_whom] = count
    return {
        placement_id: ContactCounts(
            provider=by.get(ContactWith.provider, 0),
            parent_carer=by.get(ContactWith.parent_carer, 0),
            pupil=by.get(ContactWith.pupil, 0),
        )
        for placement_id, by in found.items()
    }
