"""Status (what is due for me; one placement) and help (what I can do)."""

from __future__ import annotations

import datetime as dt

from tests.support.chat import JsonChat
from tests.support.factories import build_world, place


async def test_status_lists_what_is_overdue_for_the_teacher(db, clock) -> None:
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
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await chat.say("status")
    text = out[-1]["text"]
    assert out[-1]["type"] == "done"
    assert (
        f"OVERDUE 02/11/2026: Letter of Assurance received ({placement.reference}, Jamie Testpupil)"
        in text
    )
    assert "QA visit" in text  # first visit was due 16/11/2026
    # Someone at another school has nothing.
    other = await JsonChat.as_email(db, clock, world.other_teacher.email)
    assert "no active placements" in (await other.say("status"))[-1]["text"]


async def test_one_placement_shows_chronology_only_to_the_dsl(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=dt.date(2026, 11, 30),
        )
    ref = placement.reference
    dsl = (await (await JsonChat.as_email(db, clock, world.dsl.email)).say(f"status {ref}"))[-1][
        "text"
    ]
    teacher = (
        await (await JsonChat.as_email(db, clock, world.teacher.email)).say(f"status {ref}")
    )[-1]["text"]
    provider = (
        await (await JsonChat.as_email(db, clock, world.provider_staff.email)).say(f"status {ref}")
    )[-1]["text"]
    assert "Chronology" in dsl
    assert "Chronology" not in teacher and "Checklist" in teacher
    assert "Chronology" not in provider and "Checklist" not in provider
    # Why the pupil is in AP is the commissioner's to read, not the provider's.
    assert "Why in AP: Other: Re-engagement programme" in teacher
    assert "Why in AP" in dsl and "Why in AP" not in provider
    stranger = await (await JsonChat.as_email(db, clock, world.other_dsl.email)).say(
        f"status {ref}"
    )
    assert stranger[-1]["type"] == "error" and ref in stranger[-1]["text"]


async def test_help_lists_only_what_the_role_can_do(db, clock) -> None:
    world = await build_world(db, clock)
    provider = (await (await JsonChat.as_email(db, clock, world.provider_staff.email)).say("help"))[
        -1
    ]["text"]
    teacher = (await (await JsonChat.as_email(db, clock, world.teacher.email)).say("help"))[-1][
        "text"
    ]
    assert "• absent" in provider and "• present" in provider and "• start" not in provider
    assert "• start" in teacher and "• visit" in teacher and "• concern" in teacher
    # A teacher logs concerns but neither reads the chronology nor decides on a placement.
    assert "• chronology" not in teacher and "• decide" not in teacher
    assert "cancel" in teacher and "27/11/2026" in teacher
