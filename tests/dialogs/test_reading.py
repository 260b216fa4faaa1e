"""Reading the record in chat (`chronology`, `visits`, `contacts`, `history`, `more`): what a
DSL, a teacher and a provider read, newest first, a page at a time, and only a count in a
shared channel. Who may read what in every command is in tests/test_need_to_know.py."""

from __future__ import annotations

import datetime as dt

from dialogs.runner import DialogRunner, Incoming
from storage.models import ContactMethod
from storage.services.audit import Change
from storage.services.chronology import SYSTEM_AUTHOR
from storage.services.contacts import log_contact
from tests.support.chat import JsonChat
from tests.support.factories import (
    AUTOMATIC_ENTRY,
    CHANGE_REASON,
    CONTACT_NOTE,
    PRIVATE_ENTRY,
    PROVIDER_ENTRY,
    PROVIDER_REPORT,
    SCHOOL_REPORT,
    SHARED_ENTRY,
    VISIT_VOICE,
    build_world,
    place,
    record_to_read,
)


async def test_the_dsl_reads_the_chronology_newest_first_with_authors(db, clock) -> None:
    world = await build_world(db, clock)
    record = await record_to_read(db, clock, world)
    reference = record.placement.reference
    done = (await JsonChat(db, clock, world.dsl).say(f"chronology {reference.lower()}"))[-1]
    assert done["type"] == "done", done
    text = done["text"]
    lines = text.splitlines()
    assert lines[0].startswith(f"Chronology of {reference} (Jamie Testpupil), newest first: 4")
    # Newest first, UK dates, who wrote each; the automatic one is the system's.
    assert lines[1].startswith("• 26/11/2026") and lines[-1].startswith("• 24/11/2026")
    assert f"{AUTOMATIC_ENTRY}" in text and f"by {SYSTEM_AUTHOR}" in text
    assert f"{PROVIDER_ENTRY}: something to note, by Pat Office" in text
    assert f"{PRIVATE_ENTRY}: something to note, by Dee Lead" in text
    assert "[shared with the provider]" in next(line for line in lines if SHARED_ENTRY in line)
    assert done["record"] == {"reference": reference, "count": 4, "shown": 4, "left": 0}


async def test_a_visit_shows_the_pupils_voice_and_a_contact_its_summary(db, clock) -> None:
    world = await build_world(db, clock)
    record = await record_to_read(db, clock, world)
    teacher = JsonChat(db, clock, world.teacher)
    visits = (await teacher.say(f"visits {record.placement.reference}"))[-1]["text"]
    assert "• 20/11/2026 · QA visit: pupil seen: yes; the pupil's voice:" in visits
    assert VISIT_VOICE in visits and "setting safe: yes" in visits and "rating: good" in visits
    assert "next visit due 18/12/2026, by Tess Teacher" in visits
    contacts = (await teacher.say(f"contacts {record.placement.reference}"))[-1]["text"]
    assert (
        f"• 25/11/2026 · contact with the provider (phone call): {CONTACT_NOTE}: settled week"
        in contacts
    )


async def test_the_history_is_the_whole_timeline_for_the_dsl_and_less_for_others(db, clock) -> None:
    world = await build_world(db, clock)
    record = await record_to_read(db, clock, world)
    reference = record.placement.reference
    dsl = JsonChat(db, clock, world.dsl)
    first = (await dsl.say(f"history {reference}"))[-1]
    rest = (await dsl.say("more"))[-1]
    assert first["record"]["left"] == rest["record"]["count"] - 10 > 0
    everything = first["text"] + "\n" + rest["text"]
    for marker in (VISIT_VOICE, CONTACT_NOTE, PRIVATE_ENTRY, PROVIDER_REPORT, SCHOOL_REPORT):
        assert marker in everything, marker
    assert "(continued)" in rest["text"] and "Type more" in first["text"]
    assert (
        rest["text"].splitlines()[-1]
        == "• 02/11/2026 · placement started at Pathways AP Academy (full-time, code B)"
    )
    assert "welfare call owed" in everything and "AM absent, code N" in everything

    teacher_chat = JsonChat(db, clock, world.teacher)
    shown = (await teacher_chat.say(f"history {reference}"))[-1]["text"]
    shown += "\n" + (await teacher_chat.say("more"))[-1]["text"]
    # A teacher: everything but the safeguarding chronology, the changes made among it.
    assert VISIT_VOICE in shown and PROVIDER_REPORT in shown
    assert (
        "• 27/11/2026 · changed the planned end: was 11/01/2027; now 12/02/2027; why: "
        f"{CHANGE_REASON}: agreed at the review, by Tess Teacher"
    ) in shown
    assert PRIVATE_ENTRY not in shown and SHARED_ENTRY not in shown and AUTOMATIC_ENTRY not in shown

    provider = JsonChat(db, clock, world.provider_staff)
    out = (await provider.say(f"history {reference}"))[-1]["text"]
    # A provider: its own reports and the entries shared with it, nothing else.
    assert PROVIDER_REPORT in out and SHARED_ENTRY in out and PROVIDER_ENTRY in out
    for hidden in (
        SCHOOL_REPORT,
        VISIT_VOICE,
        CONTACT_NOTE,
        PRIVATE_ENTRY,
        AUTOMATIC_ENTRY,
        CHANGE_REASON,
    ):
        assert hidden not in out, hidden


async def test_more_pages_on_without_repeating_and_then_says_it_is_done(db, clock) -> None:
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
        for day in range(2, 27):  # 25 contacts, one a day
            await log_contact(
                session,
                Change(person_id=world.teacher.id, channel="test", at=clock.now()),
                placement=placement,
                contact_date=dt.date(2026, 11, day),
                method=ContactMethod.email,
                summary=f"note {day:02d}",
            )
    chat = JsonChat(db, clock, world.teacher)
    first = (await chat.say(f"contacts {placement.reference}"))[-1]
    assert (
        "1 to 10 shown" in first["text"]
        and "Type more for the next 10 of 15 left." in first["text"]
    )
    assert (
        "note 26" in first["text"] and "note 17" in first["text"] and "note 16" not in first["text"]
    )
    # One logged meanwhile (newer than anything shown) does not push an old one onto the next page.
    async with db.sessions() as session, session.begin():
        await log_contact(
            session,
            Change(person_id=world.teacher.id, channel="test", at=clock.now()),
            placement=placement,
            contact_date=dt.date(2026, 11, 27),
            method=ContactMethod.email,
            summary="note 27",
        )
    second = (await chat.say("more"))[-1]["text"]
    assert "note 16" in second and "note 07" in second and "note 17" not in second
    assert "note 27" not in second
    third = (await chat.say("more"))[-1]["text"]
    assert "note 06" in third and "note 02" in third and "Type more" not in third
    finished = await chat.say("more")
    assert finished[-1]["type"] == "message" and "Nothing more to show" in finished[-1]["text"]


async def test_in_a_shared_channel_only_a_count(db, clock) -> None:
    world = await build_world(db, clock)
    record = await record_to_read(db, clock, world)
    reference = record.placement.reference
    runner = DialogRunner(db.sessions, clock)
    for command in ("chronology", "history", "more"):
        [reply] = await runner.handle(
            world.provider_staff.id,
            Incoming(text=f"{command} {reference}"),
            channel="slack",
            conversation="slack:C-PATHWAYS",
            shared=True,
            place=world.provider.id,
        )
        text = getattr(reply, "text", "")
        assert "Jamie" not in text and "Testpupil" not in text and "JT" not in text
        for marker in (SHARED_ENTRY, PROVIDER_ENTRY, PROVIDER_REPORT):
            assert marker not in text
        if command == "chronology":
            assert text == (
                f"{reference}: 2 entries you can read. Send me chronology {reference} in a "
                "direct message to read them."
            )


async def test_bad_input_is_told_plainly(db, clock) -> None:
    world = await build_world(db, clock)
    await record_to_read(db, clock, world)
    chat = JsonChat(db, clock, world.dsl)
    out = await chat.say("chronology")
    assert out[-1]["type"] == "error" and "chronology AP-7K3Q" in out[-1]["text"]
    assert "To add an entry, type concern." in out[-1]["text"]
    out = await chat.say("visits AP-NOPE")
    assert out[-1]["type"] == "error" and "AP-NOPE" in out[-1]["text"]
    out = await chat.say("more")
    assert out[-1]["type"] == "message" and "Nothing more to show" in out[-1]["text"]
    # Adding to the chronology is still `concern`.
    out = await chat.say("concern")
    assert out[-1]["type"] == "prompt" and out[-1]["dialog"] == "concern"
