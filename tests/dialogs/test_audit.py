"""`audit AP-XXXX`: the DSL reads who changed what; nobody else can."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from dialogs import audit as audit_dialog
from storage.models import AuditEntry
from tests.support.chat import JsonChat
from tests.support.factories import build_world, place


async def test_dsl_reads_the_trail(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=dt.date(2026, 11, 2),
        )
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    await chat.answer_all(
        {
            "placement": placement.reference,
            "ended_on": "",
            "outcome": "moved to another ap",
            "pupil_view": "It was good to have a fresh start.",
            "reintegration_notes": "Moved to Pathways full-time.",
            "confirm": "yes",
        },
        start="end",
    )
    done = (await chat.say(f"audit {placement.reference}"))[-1]
    assert done["type"] == "done"
    text = done["text"]
    while done["record"]["left"]:  # every change, a page at a time
        done = (await chat.say("more"))[-1]
        text += "\n" + done["text"]
    assert "Tess Teacher via test · added the placement" in text
    assert "Dee Lead via terminal · changed the placement" in text
    assert "status: active → ended" in text
    assert "last day: none → 27/11/2026" in text  # dates the UK way, fields in words
    assert 'added the check "Letter of Assurance received": not done' in text
    assert "Jamie" not in text  # names never enter the audit log
    for email in (world.teacher.email, world.other_dsl.email):
        out = await (await JsonChat.as_email(db, clock, email)).say(f"audit {placement.reference}")
        assert out[0]["type"] == "error"


async def test_more_pages_through_every_change_newest_first(db, clock, monkeypatch) -> None:
    monkeypatch.setattr(audit_dialog, "PAGE", 5)
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=dt.date(2026, 11, 2),
        )
    async with db.sessions() as session:
        total = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.placement_id == placement.id)
        )
    assert total is not None and total > 10  # the placement and each of its checks
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    first = (await chat.say(f"audit {placement.reference}"))[-1]
    assert first["text"].startswith(
        f"Audit trail of {placement.reference}, newest first: {total} change(s), 1 to 5 shown"
    )
    assert first["text"].endswith(
        f"Type more for the next {min(total - 5, 5)} of {total - 5} left."
    )
    seen = [line for line in first["text"].splitlines() if line.startswith("• ")]
    while first["record"]["left"]:
        first = (await chat.say("more"))[-1]
        assert "(continued)" in first["text"].splitlines()[0]
        seen += [line for line in first["text"].splitlines() if line.startswith("• ")]
    assert len(seen) == total and len(set(seen)) <= total
    # The oldest change, shown last: the placement was added.
    assert "added the placement" in seen[-1]
    nothing = await chat.say("more")
    assert "Nothing more to show" in nothing[-1]["text"]
