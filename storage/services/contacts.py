"""The regular (weekly) interaction with the provider, kept apart from attendance and concerns."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import LONDON
from storage.models import Contact, ContactMethod, Placement, PlacementStatus
from storage.services.audit import Change, audit_created

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
) -> Contact:
    """Record one contact with the provider about a placement (and audit it)."""
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
        method=method,
        summary=text,
        created_at=change.at,
    )
    session.add(contact)
    await audit_created(session, change, contact, placement_id=placement.id)
    return contact
