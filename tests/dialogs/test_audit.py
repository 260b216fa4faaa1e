"""`audit AP-XXXX`: the DSL reads who changed what; nobody else can."""

from __future__ import annotations

import datetime as dt

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
    assert "Tess Teacher via test · created Placement" in text
    assert "Dee Lead via terminal · updated Placement" in text and "status: active → ended" in text
    assert "Jamie" not in text  # names never enter the audit log
    for email in (world.teacher.email, world.other_dsl.email):
        out = await (await JsonChat.as_email(db, clock, email)).say(f"audit {placement.reference}")
        assert out[0]["type"] == "error"
