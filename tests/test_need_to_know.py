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
from tests.support.answers import full_time_answers
from tests.support.chat import JsonChat
from tests.support.factories import (
    AUTOMATIC_ENTRY,
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
        "teacher": {VISIT_VOICE, CONTACT_NOTE, PROVIDER_REPORT, SCHOOL_REPORT},
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
