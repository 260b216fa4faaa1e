"""Log a weekly contact with the provider, driven through the `--json` terminal channel."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from storage.models import AuditEntry, Contact, ContactMethod, DialogState
from tests.support.chat import JsonChat, prompt
from tests.support.world import jamie_at_pathways


async def test_teacher_logs_a_weekly_contact(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await chat.answer_all(
        {
            "placement": placement.reference,
            "contact_date": "yesterday",
            "method": "Phone call",
            "summary": "Spoke to Sam (key worker): good week, attendance 100%, maths improving.",
        },
        start="weekly contact",
    )
    done = out[-1]
    assert done["type"] == "done" and done["dialog"] == "contact"
    assert "Jamie Testpupil" in done["text"] and "03/12/2026" in done["text"]
    assert done["record"]["method"] == "phone"
    async with db.sessions() as session:
        contact = await session.scalar(select(Contact))
        assert contact is not None
        assert contact.placement_id == placement.id and contact.person_id == world.teacher.id
        assert contact.contact_date == dt.date(2026, 11, 26)
        assert contact.method == ContactMethod.phone and "maths improving" in contact.summary
        audit = await session.scalar(select(AuditEntry).where(AuditEntry.record_type == "Contact"))
        assert audit is not None and audit.action == "created"
        assert audit.person_id == world.teacher.id and audit.channel == "terminal"
        assert audit.placement_id == placement.id and audit.changes["summary"] == "(recorded)"


async def test_bad_answers_are_asked_again(db, clock) -> None:
    world, _ = await jamie_at_pathways(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    await chat.say("contact")
    await chat.say("1")
    for bad in ("31/02/2026", "tomorrow", "01/01/2026"):
        out = await chat.say(bad)
        assert out[0]["type"] == "error" and prompt(out)["field"] == "contact_date", bad
    await chat.say("")
    out = await chat.say("carrier pigeon")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "method"
    await chat.say("email")
    for bad in ("   ", "y" * 10_000):
        out = await chat.say(bad)
        assert out[0]["type"] == "error" and prompt(out)["field"] == "summary"
    out = await chat.say("back")
    assert prompt(out)["field"] == "method"
    await chat.say("video")
    done = await chat.say("👍")
    assert done[-1]["type"] == "done"
    async with db.sessions() as session:
        contact = await session.scalar(select(Contact))
        assert contact is not None and contact.summary == "👍"
        assert contact.method == ContactMethod.video


async def test_cancel_saves_nothing(db, clock) -> None:
    world, _ = await jamie_at_pathways(db, clock)
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    await chat.say("log contact")
    await chat.say("1")
    await chat.say("today")
    await chat.say("meeting")
    out = await chat.say("cancel")
    assert "Nothing was saved" in out[-1]["text"]
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Contact)) == 0
        assert await session.scalar(select(func.count()).select_from(DialogState)) == 0


async def test_a_teacher_cannot_see_another_schools_placement(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    other = await JsonChat.as_email(db, clock, world.other_teacher.email)
    refused = await other.say(f"contact {placement.reference}")
    assert refused[-1]["type"] == "error" and placement.reference in refused[-1]["text"]
    nothing = await other.say("contact")
    assert nothing[-1]["type"] == "error" and "no active placements" in nothing[-1]["text"]
    provider = await JsonChat.as_email(db, clock, world.provider_staff.email)
    assert (await provider.say("contact"))[-1]["type"] == "error"
