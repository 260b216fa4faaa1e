"""Log a contact (with the provider, a parent or carer, or the pupil), driven through the
`--json` terminal channel."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from storage.models import AuditEntry, Contact, ContactMethod, ContactWith, DialogState
from tests.support.chat import JsonChat, prompt, texts
from tests.support.world import jamie_at_pathways


async def test_teacher_logs_a_weekly_contact(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await chat.answer_all(
        {
            "placement": placement.reference,
            "with_whom": "provider",
            "contact_date": "yesterday",
            "method": "Phone call",
            "summary": "Spoke to Sam (key worker): good week, attendance 100%, maths improving.",
        },
        start="weekly contact",
    )
    done = out[-1]
    assert done["type"] == "done" and done["dialog"] == "contact"
    assert "Jamie Testpupil" in done["text"] and "03/12/2026" in done["text"]
    assert done["record"]["method"] == "phone" and done["record"]["with_whom"] == "provider"
    assert "Saved your contact with Pathways AP Academy" in done["text"]
    assert "The next weekly contact is due by 03/12/2026" in done["text"]
    async with db.sessions() as session:
        contact = await session.scalar(select(Contact))
        assert contact is not None
        assert contact.placement_id == placement.id and contact.person_id == world.teacher.id
        assert contact.contact_date == dt.date(2026, 11, 26)
        assert contact.method == ContactMethod.phone and "maths improving" in contact.summary
        assert contact.with_whom == ContactWith.provider
        audit = await session.scalar(select(AuditEntry).where(AuditEntry.record_type == "Contact"))
        assert audit is not None and audit.action == "created"
        assert audit.person_id == world.teacher.id and audit.channel == "terminal"
        assert audit.placement_id == placement.id and audit.changes["summary"] == "(recorded)"


async def test_bad_answers_are_asked_again(db, clock) -> None:
    world, _ = await jamie_at_pathways(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    await chat.say("contact")
    asked = prompt(await chat.say("1"))
    assert asked["field"] == "with_whom" and "Who was the contact with?" in asked["text"]
    assert [c["label"] for c in asked["choices"]] == [
        "Provider (Pathways AP Academy)",
        "Parent or carer",
        "Pupil",
    ]
    out = await chat.say("the milkman")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "with_whom"
    await chat.say("pupil")
    out = await chat.say("back")
    assert prompt(out)["field"] == "with_whom"
    await chat.say("")  # blank: the provider
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
        assert contact.with_whom == ContactWith.provider


async def test_cancel_saves_nothing(db, clock) -> None:
    world, _ = await jamie_at_pathways(db, clock)
    chat = await JsonChat.as_email(db, clock, world.dsl.email)
    await chat.say("log contact")
    await chat.say("1")
    await chat.say("parent")
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


async def test_a_contact_with_a_parent_or_the_pupil_is_kept_apart_from_the_weekly_one(
    db, clock
) -> None:
    """The guidance asks for ongoing contact with the provider, parents or carers and the pupil;
    only the provider's is the weekly contact, so a parent's call does not move its due date."""
    world, placement = await jamie_at_pathways(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    provider = await chat.answer_all(
        {
            "placement": placement.reference,
            "with_whom": "1",
            "contact_date": "23/11/2026",
            "method": "email",
            "summary": "Key worker: settled week.",
        },
        start="contact",
    )
    assert "due by 30/11/2026" in provider[-1]["text"]
    parent = await chat.answer_all(
        {
            "placement": placement.reference,
            "with_whom": "Parent or carer",
            "contact_date": "yesterday",
            "method": "phone",
            "summary": "Mum says he talks about the farm every evening.",
        },
        start="contact",
    )
    done = parent[-1]
    assert done["type"] == "done" and done["record"]["with_whom"] == "parent_carer"
    assert "Saved your contact with a parent or carer about Jamie Testpupil" in done["text"]
    assert (
        "It is not the weekly contact with Pathways AP Academy, which is due by 30/11/2026"
        in done["text"]
    )
    pupil = await chat.answer_all(
        {
            "placement": placement.reference,
            "with_whom": "3",
            "contact_date": "today",
            "method": "meeting",
            "summary": "Jamie says the mentor helps.",
        },
        start="contact",
    )
    assert "Saved your contact with the pupil" in pupil[-1]["text"]
    async with db.sessions() as session:
        stored = {c.summary: c.with_whom for c in await session.scalars(select(Contact))}
    assert stored == {
        "Key worker: settled week.": ContactWith.provider,
        "Mum says he talks about the farm every evening.": ContactWith.parent_carer,
        "Jamie says the mentor helps.": ContactWith.pupil,
    }

    # The contact log says who each contact was with; the status still shows the provider's.
    log = texts(await chat.say(f"contacts {placement.reference}"))
    assert "contact with the pupil (meeting): Jamie says the mentor helps." in log
    assert "contact with a parent or carer (phone call): Mum says he talks" in log
    assert "contact with the provider (email): Key worker: settled week." in log
    status = texts(await chat.say(f"status {placement.reference}"))
    assert "Last weekly contact: 23/11/2026" in status
