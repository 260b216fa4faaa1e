"""Notices in the terminal channel: a person sees their unread nudges, alerts and digest when
`apbot chat` starts and with `notices`; each is marked read once shown to them, and nobody sees
a notice that was not for them."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from sqlalchemy import select

from bot.channels.terminal import TerminalChannel
from dialogs.runner import DialogRunner, Incoming
from storage.models import NoticeRead, OutboxMessage, OutboxStatus
from storage.services.outbox import enqueue
from tests.support.chat import JsonChat
from tests.support.factories import build_world


async def _queue(db, clock, world) -> None:
    now = clock.now()
    async with db.sessions() as session, session.begin():
        for key, recipient, text, due in (
            ("alert:1", world.dsl.id, "Absence: Jamie Testpupil is not at Pathways today.", now),
            (
                "digest:1",
                world.dsl.id,
                "Your daily digest: 1 absence yesterday.",
                now - dt.timedelta(hours=2),
            ),
            ("nudge:1", world.teacher.id, "QA visit due for Jamie Testpupil.", now),
            ("later:1", world.dsl.id, "Not due yet.", now + dt.timedelta(hours=1)),
            ("gone:1", world.dsl.id, "No longer applies.", now),
        ):
            await enqueue(
                session,
                key=key,
                kind="digest" if key.startswith("digest") else "absence_alert",
                text=text,
                due_at=due,
                recipient_id=recipient,
            )
        await enqueue(
            session,
            key="channel:1",
            kind="absence_update",
            text="AP-XXXX: absence reported.",
            due_at=now,
            channel_ref="channel:1",
        )
        gone = await session.scalar(select(OutboxMessage).where(OutboxMessage.key == "gone:1"))
        assert gone is not None
        gone.status = OutboxStatus.expired


async def test_notices_shows_only_yours_once_then_marks_them_read(db, clock) -> None:
    world = await build_world(db, clock)
    await _queue(db, clock, world)
    dsl = JsonChat(db, clock, world.dsl)
    done = (await dsl.say("notices"))[-1]
    assert done["type"] == "done", done
    lines = done["text"].splitlines()
    assert lines[0] == "Your unread notices, newest first (2 of 2):"
    assert lines[1] == (
        "• 27/11/2026 10:00 · absence alert: Absence: Jamie Testpupil is not at Pathways today."
    )
    assert lines[2] == "• 27/11/2026 08:00 · daily digest: Your daily digest: 1 absence yesterday."
    for other in ("QA visit due", "Not due yet", "No longer applies", "AP-XXXX"):
        assert other not in done["text"]
    again = (await dsl.say("notices"))[-1]
    assert again["type"] == "message" and again["text"] == "No unread notices."
    async with db.sessions() as session:
        reads = list(await session.scalars(select(NoticeRead)))
    assert {r.person_id for r in reads} == {world.dsl.id} and len(reads) == 2

    # The teacher's own nudge is still unread for the teacher.
    teacher = (await JsonChat(db, clock, world.teacher).say("notices"))[-1]["text"]
    assert "QA visit due for Jamie Testpupil." in teacher and "Absence" not in teacher

    # An hour later the next one is due and is the only unread one.
    clock.advance(dt.timedelta(hours=1))
    later = (await dsl.say("notices"))[-1]["text"]
    assert "Not due yet." in later and "(1 of 1)" in later


async def test_the_terminal_shows_unread_notices_on_arrival(db, clock, tmp_path: Path) -> None:
    world = await build_world(db, clock)
    await _queue(db, clock, world)

    async def arrive() -> str:
        out = io.StringIO()
        channel = TerminalChannel(
            DialogRunner(db.sessions, clock),
            world.dsl,
            json_mode=False,
            stdin=io.StringIO(""),
            stdout=out,
            clock=clock,
            files_dir=tmp_path,
        )
        assert await channel.run() == 0
        return out.getvalue()

    first = await arrive()
    assert "Your unread notices, newest first (2 of 2):" in first
    assert "Absence: Jamie Testpupil is not at Pathways today." in first
    assert "QA visit due" not in first  # the teacher's
    second = await arrive()
    assert "unread notices" not in second and "Absence" not in second


async def test_in_a_shared_channel_notices_are_only_counted_and_stay_unread(db, clock) -> None:
    world = await build_world(db, clock)
    await _queue(db, clock, world)
    [reply] = await DialogRunner(db.sessions, clock).handle(
        world.dsl.id,
        Incoming(text="notices"),
        channel="slack",
        conversation="slack:C-PATHWAYS",
        shared=True,
    )
    assert reply.text == (
        "You have 2 unread notice(s). Send me notices in a direct message to read them."
    )
    async with db.sessions() as session:
        assert list(await session.scalars(select(NoticeRead))) == []
