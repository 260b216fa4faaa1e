"""What must hold however badly people answer: replies of known types, nothing that is our
fault, and records that are whole."""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import func, select

from storage.models import AttendanceRecord, ChecklistItem, DialogState, Placement
from tests.support.database import Database

REPLY_TYPES = {"prompt", "message", "error", "done"}
# The openings of the two apologies for faults that are ours, not the person's.
OUR_FAULT = ("something went wrong on our side", "couldn't reach the database")
REFERENCE = re.compile(r"^AP-[A-Z0-9]{4}$")


def assert_no_fault_of_ours(said: str) -> None:
    lowered = said.lower()
    for phrase in OUR_FAULT:
        assert phrase not in lowered, f"the bot apologised for its own fault: {said[:500]!r}"


def assert_replies_are_clear(replies: list[dict[str, Any]]) -> None:
    """Every reply is one the channels can show, and none admits a fault of ours."""
    for reply in replies:
        assert reply.get("type") in REPLY_TYPES, reply
        assert_no_fault_of_ours(str(reply.get("text", "")))


def assert_nothing_logged(records: list[logging.LogRecord]) -> None:
    """No error or exception was logged (the bot may hide one behind a polite reply)."""
    # A made-up response_url that nothing answers is the sender's doing, not a fault of ours.
    bad = [
        r
        for r in records
        if r.levelno >= logging.ERROR and "Cannot connect to host" not in (r.exc_text or "")
    ]
    assert not bad, "\n".join(f"{r.name}: {r.getMessage()}\n{r.exc_text or ''}" for r in bad)


async def assert_records_whole(db: Database) -> None:
    """Every placement has a proper reference and a checklist; every attendance row a code."""
    async with db.sessions() as session:
        placements = (await session.scalars(select(Placement))).all()
        for placement in placements:
            assert REFERENCE.match(placement.reference), placement.reference
            items = await session.scalar(
                select(func.count())
                .select_from(ChecklistItem)
                .where(ChecklistItem.placement_id == placement.id)
            )
            assert items, f"placement {placement.reference} has no checklist"
        codes = (await session.scalars(select(AttendanceRecord.code))).all()
        assert all(code and code.strip() for code in codes), codes


async def dialog_states(db: Database, person_id: int) -> int:
    async with db.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(DialogState).where(DialogState.person_id == person_id)
        )
    return int(count or 0)
