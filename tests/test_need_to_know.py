"""Need-to-know across every role and every command, and what may never reach a shared
channel or a log line: a pupil's name or safeguarding detail."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import select

from dialogs.commands import all_dialogs
from dialogs.engine import Dialog
from dialogs.runner import DialogRunner, Incoming
from storage.access import roles_for
from storage.models import OutboxMessage
from tests.support.answers import PART_TIME_AGREED, full_time_answers
from tests.support.chat import JsonChat
from tests.support.factories import (
    AUTOMATIC_ENTRY,
    CHANGE_REASON,
    CONTACT_NOTE,
    EVERY_MARKER,
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
from tests.support.world import providers_across_schools


def test_who_may_start_each_command_is_decided_in_access() -> None:
    """No dialog carries a role set of its own: who may start it is `storage.access`'s answer
    for what it needs (an action, a reading or a task)."""
    for dialog in all_dialogs():
        own = [
            cls.__name__
            for cls in type(dialog).__mro__
            if cls is not Dialog and "roles" in vars(cls)
        ]
        assert not own, f"{dialog.name}: role set of its own in {own}"
        assert dialog.roles == roles_for(dialog.needs), dialog.name


# Who may start each command on a placement commissioned by Elm Park with Pathways.
ALLOWED = {
    "visit": {"teacher", "dsl"},
    "absent": {"teacher", "dsl", "provider"},
    "contact": {"teacher", "dsl"},
    # A teacher logs concerns (for the DSL), without reading the chronology.
    "concern": {"teacher", "dsl", "provider"},
    "check": {"teacher", "dsl"},
    "end": {"teacher", "dsl"},
    # Changing the arrangements: the commissioning school's staff.
    "change": {"teacher", "dsl"},
    "status": {"teacher", "dsl", "provider", "la_officer"},
    "export": {"dsl"},
    "audit": {"dsl"},
    # Reading the record: the chronology is the DSLs' (a provider reads what was shared with
    # it and its own entries); visits and contacts are the commissioning staff's; the
    # history is anyone's who sees the placement, each reading only their part of it.
    "chronology": {"dsl", "provider"},
    "visits": {"teacher", "dsl"},
    "contacts": {"teacher", "dsl"},
    "history": {"teacher", "dsl", "provider", "la_officer"},
    # Where the pupil is: the commissioning school's staff; not the provider, not the LA
    # overseeing a school's placement.
    "where": {"teacher", "dsl"},
    # The LA's view across its schools: its officers only (no school nor provider).
    "providers": {"la_officer"},
}

# What each person reads in each reading command of `record_to_read` (by marker word);
# anyone not listed for a command is refused it.
READS = {
    "chronology": {
        "dsl": {PRIVATE_ENTRY, SHARED_ENTRY, PROVIDER_ENTRY, AUTOMATIC_ENTRY},
        "provider": {SHARED_ENTRY, PROVIDER_ENTRY},
    },
    "visits": {"teacher": {VISIT_VOICE}, "dsl": {VISIT_VOICE}},
    "contacts": {"teacher": {CONTACT_NOTE}, "dsl": {CONTACT_NOTE}},
    "history": {
        "dsl": set(EVERY_MARKER),
        "teacher": {VISIT_VOICE, CONTACT_NOTE, PROVIDER_REPORT, SCHOOL_REPORT, CHANGE_REASON},
        "provider": {SHARED_ENTRY, PROVIDER_ENTRY, PROVIDER_REPORT},
        # An LA officer overseeing a school's placements: that it started, nothing more.
        "la_officer": set(),
    },
}


async def test_every_role_against_every_command(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        ours = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=dt.date(2026, 11, 2),
        )
    people = {
        "teacher": world.teacher,
        "dsl": world.dsl,
        "other_teacher": world.other_teacher,
        "other_dsl": world.other_dsl,
        "provider": world.provider_staff,
        "other_provider": world.unregistered_staff,
        "la_officer": world.la_officer,
        "admin": world.admin,
    }
    for command, allowed in ALLOWED.items():
        for name, person in people.items():
            chat = JsonChat(db, clock, person)
            out = await chat.say(f"{command} {ours.reference}")
            started = out[0]["type"] != "error"
            assert started == (name in allowed), f"{name} {command}: {out[0]}"
            if started:
                text = " ".join(o.get("text", "") for o in out) + str(out[-1].get("choices", ""))
                # Anyone allowed in sees the reference; nobody else ever sees the pupil's name.
                assert ours.reference in text or out[-1]["type"] == "prompt"
                await chat.say("cancel")
            else:
                assert "Jamie" not in out[0]["text"] and "Testpupil" not in out[0]["text"]


async def test_an_la_officer_sees_only_their_own_la_schools_placements(db, clock) -> None:
    across = await providers_across_schools(db, clock)
    ours = JsonChat(db, clock, across.world.la_officer)
    theirs = JsonChat(db, clock, across.far_officer)
    ours_text = (await ours.say("providers"))[-1]["text"]
    theirs_text = (await theirs.say("providers"))[-1]["text"]
    assert across.elsewhere.reference not in ours_text
    assert across.elsewhere.reference in theirs_text
    for placement in [*across.at_wheels, across.at_pathways]:
        assert placement.reference in ours_text and placement.reference not in theirs_text
    # Farshire's one pupil at Wheels is not enough to flag it there.
    assert "may need to register" not in theirs_text


async def test_each_reading_command_shows_each_person_only_their_part(db, clock) -> None:
    world = await build_world(db, clock)
    record = await record_to_read(db, clock, world)
    reference = record.placement.reference
    people = {
        "teacher": world.teacher,
        "dsl": world.dsl,
        "other_teacher": world.other_teacher,
        "other_dsl": world.other_dsl,
        "provider": world.provider_staff,
        "other_provider": world.unregistered_staff,
        "la_officer": world.la_officer,
        "admin": world.admin,
    }
    for command, readers in READS.items():
        for name, person in people.items():
            chat = JsonChat(db, clock, person)
            out = await chat.say(f"{command} {reference}")
            read = out[-1].get("text", "")
            while out[-1]["type"] == "done" and "Type more" in out[-1]["text"]:
                out = await chat.say("more")
                read += "\n" + out[-1]["text"]
            seen = {marker for marker in EVERY_MARKER if marker in read}
            if name not in readers:
                assert out[-1]["type"] == "error", f"{name} {command}: {read}"
                assert not seen and "Jamie" not in read, f"{name} {command}: {read}"
                continue
            assert out[-1]["type"] == "done", f"{name} {command}: {out[-1]}"
            assert seen == readers[name], f"{name} {command}: saw {seen}"
            assert reference in read


async def test_a_part_time_timetable_is_reviewed_and_read_only_by_the_commissioning_staff(
    db, clock
) -> None:
    """`review` shows the agreed part-time timetable (its dates and C2 days) before asking:
    the commissioning school's teacher and DSL only; the circumstances and the review notes
    (sealed) are never shown to anyone there, and nobody else learns the pupil's name."""
    world = await build_world(db, clock)
    answers = {
        **full_time_answers(world.pupil.id, world.provider.id),
        **PART_TIME_AGREED,
        "provider_days": "mon, tue",
        "provider_hours": "10",
        "school_hours": "5",
        "school_days": "thu",
    }
    done = (await JsonChat(db, clock, world.teacher).answer_all(answers, start="start"))[-1]
    reference = done["record"]["reference"]
    allowed = {"teacher", "dsl"}
    people = {
        "teacher": world.teacher,
        "dsl": world.dsl,
        "other_teacher": world.other_teacher,
        "other_dsl": world.other_dsl,
        "provider": world.provider_staff,
        "other_provider": world.unregistered_staff,
        "la_officer": world.la_officer,
        "admin": world.admin,
    }
    for name, person in people.items():
        chat = JsonChat(db, clock, person)
        out = await chat.say(f"review {reference}")
        text = " ".join(o.get("text", "") for o in out)
        assert PART_TIME_AGREED["part_time_circumstances"] not in text
        if name in allowed:
            assert out[-1]["type"] == "prompt" and "C2 on Wed, Fri" in text, f"{name}: {out}"
            await chat.say("cancel")
        else:
            assert out[0]["type"] == "error", f"{name}: {out}"
            assert "Jamie" not in text and "C2" not in text, f"{name}: {text}"


async def test_shared_channel_messages_and_logs_never_carry_a_pupil(
    db, clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    world = await build_world(db, clock)
    teacher = JsonChat(db, clock, world.teacher)
    done = (
        await teacher.answer_all(
            full_time_answers(world.pupil.id, world.provider.id), start="start"
        )
    )[-1]
    assert done["type"] == "done"
    async with db.sessions() as session, session.begin():
        running = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=dt.date(2026, 11, 2),
        )
    reference = running.reference

    runner = DialogRunner(db.sessions, clock)
    said: list[str] = []
    for line in (
        "absent",
        reference,
        "",
        "both",
        "Mum rang: Jamie Testpupil has a chest infection",
        "I",
        "yes",
    ):
        replies = await runner.handle(
            world.provider_staff.id,
            Incoming(text=line),
            channel="slack",
            conversation="slack:C-PATHWAYS",
            shared=True,
        )
        said += [
            getattr(r, "text", "") + " ".join(c.label for c in getattr(r, "choices", []))
            for r in replies
        ]
    assert reference in said[-1], "\n".join(said)
    for text in said:
        assert "Jamie" not in text and "Testpupil" not in text and "chest" not in text

    dsl = JsonChat(db, clock, world.dsl)
    await dsl.answer_all(
        {
            "placement": reference,
            "kind": "concern",
            "severity": "none",
            "entry_date": "",
            "text": "Jamie Testpupil disclosed worries at home.",
            "share_with_provider": "no",
            "confirm": "yes",
        },
        start="concern",
    )

    async with db.sessions() as session:
        for message in await session.scalars(select(OutboxMessage)):
            to_provider = message.recipient_id in (
                world.provider_staff.id,
                world.unregistered_staff.id,
            )
            if message.channel_ref or (to_provider and message.kind != "chronology_shared"):
                assert "Jamie" not in message.text and "Testpupil" not in message.text, message.text
                # Nor why the pupil is in AP ("other"'s words, sealed).
                assert "Re-engagement" not in message.text, message.text
    for record in caplog.records:
        line = record.getMessage() + (record.exc_text or "")
        for secret in (
            "Jamie",
            "Testpupil",
            "chest infection",
            "worries at home",
            "Re-engagement",
        ):
            assert secret not in line, f"{record.name}: {line}"


async def test_where_a_pupil_is_is_for_the_commissioner_only(db, clock) -> None:
    """`where`: an LA's officers for the LA's own placements; never a provider, neither this
    placement's nor the provider of the same pupil's other placement; never another school."""
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        las = await place(
            session,
            clock,
            by=world.la_officer,
            pupil=world.pupil,
            provider=world.provider,
            start=dt.date(2026, 11, 2),
            days=("mon", "tue", "wed"),
            provider_hours="15",
            school_hours="0",
        )
        # The same pupil's other placement, at the unregistered provider, by the school.
        await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.unregistered,
            start=dt.date(2026, 11, 2),
            days=("thu", "fri"),
            provider_hours="10",
            school_hours="7.5",
        )
    allowed = {world.la_officer.email}
    everyone = [
        world.teacher,
        world.dsl,
        world.other_teacher,
        world.other_dsl,
        world.provider_staff,
        world.unregistered_staff,
        world.la_officer,
        world.admin,
    ]
    for person in everyone:
        out = await JsonChat(db, clock, person).say(f"where {las.reference}")
        text = out[-1].get("text", "")
        if person.email in allowed:
            assert out[-1]["type"] == "done", text
            assert "Pathways AP Academy" in text
        else:
            assert out[-1]["type"] == "error", f"{person.email}: {text}"
            assert "Jamie" not in text and "Test Road" not in text, f"{person.email}: {text}"
