"""The safeguarding chronology: dated entries about a pupil, append-only.

There is deliberately no function here to change or delete an entry: a correction is a new
entry that says what it corrects. Providers' entries are shared with the provider and reach
the commissioner's safeguarding leads at once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import LONDON
from storage.models import (
    ChronologyEntry,
    ChronologyKind,
    ChronologySource,
    Placement,
    Role,
)
from storage.services.audit import Change, audit_created
from storage.services.outbox import enqueue, safeguarding_leads, staff_of
from storage.services.placements import ensure_loaded
from storage.wording import NoticeKind, alerts, provider_notices

MAX_TEXT_LENGTH = 4000
# How an entry written by AP Safeguard itself is attributed (it has no `recorded_by_id`).
SYSTEM_AUTHOR = "AP Safeguard, automatic"
# How such an entry's text begins, so a reader of the chronology knows it too.
AUTOMATIC_NOTE = "Recorded automatically by AP Safeguard. "


class ChronologyError(ValueError):
    """A chronology entry that cannot be added, in words for the person."""


async def add_entry(
    session: AsyncSession,
    change: Change,
    *,
    placement: Placement,
    kind: ChronologyKind,
    source: ChronologySource,
    text: str,
    entry_date: dt.date,
    shared_with: list[int],
    automatic: bool = False,
) -> ChronologyEntry:
    """Append one dated entry to the pupil's chronology (and audit it).

    An `automatic` entry (its words written by AP Safeguard, e.g. when a welfare call is
    raised with the DSL) is recorded as written by the system (`SYSTEM_AUTHOR`, no person),
    never in the name of whoever was logged in or of a DSL; the audit log still says whose
    action led to it.

    An entry from the provider is shared with the provider automatically and the commissioner's
    safeguarding leads are alerted. An entry the school shares with the provider is sent to the
    provider's staff in a direct message.
    """
    words = text.strip()
    if not words:
        raise ChronologyError("Please say what happened (the entry can't be empty).")
    if len(words) > MAX_TEXT_LENGTH:
        raise ChronologyError(
            f"Please keep a chronology entry under {MAX_TEXT_LENGTH:,} characters."
        )
    if change.person_id is None and not automatic:
        raise ChronologyError("A chronology entry must say who recorded it.")
    if automatic and not words.startswith(AUTOMATIC_NOTE.strip()):
        words = AUTOMATIC_NOTE + words
    if entry_date > change.at.astimezone(LONDON).date():
        raise ChronologyError("A chronology entry can't be dated in the future.")

    await ensure_loaded(session, placement)
    shared = list(dict.fromkeys(shared_with))  # keep order, drop repeats
    if source == ChronologySource.provider and placement.provider_id not in shared:
        shared.append(placement.provider_id)

    entry = ChronologyEntry(
        pupil_id=placement.pupil_id,
        placement_id=placement.id,
        entry_date=entry_date,
        kind=kind,
        source=source,
        text=words,
        shared_with=shared,
        recorded_by_id=None if automatic else change.person_id,
        created_at=change.at,
    )
    session.add(entry)
    await audit_created(session, change, entry, placement_id=placement.id)

    if source == ChronologySource.provider:
        await _alert_leads(session, change, placement, entry)
    elif placement.provider_id in shared:
        await _tell_provider(session, change, placement, entry)
    return entry


async def _alert_leads(
    session: AsyncSession, change: Change, placement: Placement, entry: ChronologyEntry
) -> None:
    """The commissioner's DSLs hear of a provider's entry directly, with its detail (a DM)."""
    provider = placement.provider.name
    for lead in await safeguarding_leads(session, placement.commissioner_id):
        await enqueue(
            session,
            key=f"chronology:{entry.id}:{lead.id}",
            kind=NoticeKind.chronology_update,
            recipient_id=lead.id,
            placement_id=placement.id,
            due_at=change.at,
            text=alerts.chronology_update(
                pupil=placement.pupil.known_as,
                reference=placement.reference,
                provider=provider,
                kind=entry.kind.value,
                day=entry.entry_date,
                text=entry.text,
            ),
        )


async def _tell_provider(
    session: AsyncSession, change: Change, placement: Placement, entry: ChronologyEntry
) -> None:
    """The provider's staff get the entry the school chose to share, in a direct message."""
    for person in await staff_of(session, placement.provider_id, Role.provider):
        await enqueue(
            session,
            key=f"chronology-shared:{entry.id}:{person.id}",
            kind=NoticeKind.chronology_shared,
            recipient_id=person.id,
            placement_id=placement.id,
            due_at=change.at,
            text=provider_notices.chronology_shared(
                reference=placement.reference,
                commissioner=placement.commissioner.name,
                kind=entry.kind.value,
                day=entry.entry_date,
                text=entry.text,
            ),
        )
