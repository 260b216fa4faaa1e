"""A whole school week, minute by minute (well, quarter-hour by quarter-hour), with an injected
clock: Mon 22/03/2027 to Wed 31/03/2027, across Good Friday (26/03) and Easter Monday (29/03),
both England and Wales bank holidays, and the clocks going forward on Sunday 28/03.

The pupil is at the provider every weekday; the provider confirms the register some days, says
nothing one day, and reports unexplained absences (code N) on three school days in a row (Wed,
Thu, then Tue after Easter). Every nudge must arrive at the right London time, to the right
person, exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Awaitable, Callable

from sqlalchemy import select, update

from bot.scheduler import Scheduler
from storage.clock import LONDON, FixedClock
from storage.models import (
    ChecklistItem,
    ChecklistStatus,
    ContactMethod,
    OutboxMessage,
    Placement,
    RegisterSession,
)
from storage.rules.calendar import at_london
from storage.services.attendance import confirm_all_present, report_absence
from storage.services.audit import Change
from storage.services.contacts import log_contact
from storage.services.nudges import act_on_nudge
from tests.support.database import Database
from tests.support.factories import World, build_world, place
from tests.support.scheduler import RecordingDeliverer, clock_sleep

MY_KINDS = {
    "digest", "qa_due", "qa_overdue", "contact_overdue", "check_overdue", "register_prompt",
    "no_report", "no_report_dsl", "welfare_overdue", "cme_risk", "review_soon", "ending_soon",
    "part_time_review",
}  # fmt: skip
DAYS = [dt.date(2027, 3, 22) + dt.timedelta(days=n) for n in range(10)]
TICKS = [dt.time(h, m) for h in range(7, 12) for m in (0, 15, 30, 45)] + [dt.time(16, 0)]


async def _setup(db: Database, clock: FixedClock) -> tuple[World, Placement]:
    clock.set(dt.datetime(2027, 3, 1, 8, 0, tzinfo=LONDON))
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session, clock, by=world.teacher, pupil=world.pupil, provider=world.provider,
            start=dt.date(2027, 3, 1), all_done=True,
        )  # fmt: skip
        # One check still to do, due Wednesday; the next QA visit due on Easter Monday.
        await session.execute(
            update(ChecklistItem)
            .where(ChecklistItem.placement_id == placement.id, ChecklistItem.key == "letter_of_assurance")
            .values(status=ChecklistStatus.not_done, due_date=dt.date(2027, 3, 24))
        )  # fmt: skip
        await session.execute(
            update(Placement).where(Placement.id == placement.id).values(next_qa_due=dt.date(2027, 3, 29))
        )  # fmt: skip
        # A weekly contact on Monday morning: the next is overdue after 7 days (Tue 30/03).
        await log_contact(
            session,
            Change(world.teacher.id, "test", at_london(DAYS[0], dt.time(7, 30))),
            placement=placement,
            contact_date=DAYS[0],
            method=ContactMethod.phone,
            summary="Weekly catch-up with the provider.",
        )
    return world, placement


def _at(day: int, hhmm: str) -> dt.datetime:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return at_london(DAYS[day], dt.time(hours, minutes))


async def test_every_nudge_arrives_once_at_the_right_time_across_easter_and_the_clock_change(
    db: Database, clock: FixedClock
) -> None:
    world, placement = await _setup(db, clock)
    channel = RecordingDeliverer(clock)
    scheduler = Scheduler(db.sessions, clock, [channel], instance="one", sleep=clock_sleep(clock))

    async def present(day: int) -> None:
        async with db.sessions() as session, session.begin():
            change = Change(world.provider_staff.id, "test", clock.now())
            await confirm_all_present(
                session, change, provider_id=world.provider.id, date=DAYS[day]
            )

    async def absent(day: int) -> None:
        async with db.sessions() as session, session.begin():
            p = await session.get(Placement, placement.id)
            assert p is not None
            await report_absence(
                session, Change(world.provider_staff.id, "test", clock.now()), placement=p,
                date=DAYS[day], sessions=[RegisterSession.am, RegisterSession.pm], code="N", reason="",
            )  # fmt: skip

    async def teacher_snoozes_the_check() -> None:
        async with db.sessions() as session, session.begin():
            row = await session.scalar(
                select(OutboxMessage).where(
                    OutboxMessage.kind == "check_overdue", OutboxMessage.recipient_id == world.teacher.id
                )
            )  # fmt: skip
            assert row is not None
            change = Change(world.teacher.id, "test", clock.now())
            outcome = await act_on_nudge(session, change, outbox_id=row.id, action="snooze_week")
        assert "Thu 01/04/2027" in outcome.text

    actions: dict[dt.datetime, Callable[[], Awaitable[None]]] = {
        _at(0, "09:10"): lambda: present(0),  # Mon: register confirmed
        # Tue: nothing at all from the provider.
        _at(2, "09:15"): lambda: absent(2),  # Wed: absent, N
        _at(3, "09:20"): lambda: absent(3),  # Thu: absent, N
        _at(3, "12:00"): teacher_snoozes_the_check,
        _at(8, "09:05"): lambda: absent(8),  # Tue after Easter: absent, N (third school day)
        _at(9, "09:10"): lambda: present(9),  # Wed: register confirmed
    }
    ticks = {at_london(day, tick) for day in DAYS for tick in TICKS}
    for moment in sorted(ticks | set(actions)):
        clock.set(moment)
        if moment in actions:
            await actions[moment]()
        if moment in ticks:
            await scheduler.run_pass()

    email = {
        world.dsl.id: "dsl", world.teacher.id: "teacher", world.provider_staff.id: "provider",
        world.la_officer.id: "la",
    }  # fmt: skip
    got = [
        (f"{when.astimezone(LONDON):%a %d/%m %H:%M}", n.kind, email.get(n.recipient.person_id or 0, "?"))
        for n, when in zip(channel.sent, channel.times, strict=True)
        if n.kind in MY_KINDS
    ]  # fmt: skip
    # Several notices to one person go a second apart (Slack's pace): compare to the minute.
    expected = [
        # Mon 22/03 (GMT)
        ("Mon 22/03 08:00", "digest", "dsl"), ("Mon 22/03 08:00", "digest", "la"),
        ("Mon 22/03 08:30", "qa_due", "teacher"),
        ("Mon 22/03 09:00", "register_prompt", "provider"),
        # Tue 23/03: no report at all
        ("Tue 23/03 08:00", "digest", "dsl"), ("Tue 23/03 08:00", "digest", "la"),
        ("Tue 23/03 09:00", "register_prompt", "provider"),
        ("Tue 23/03 09:30", "no_report", "provider"),
        ("Tue 23/03 10:00", "no_report_dsl", "dsl"),
        # Wed 24/03: absent (N) at 09:15, the welfare call not made by 11:15
        ("Wed 24/03 08:00", "digest", "dsl"), ("Wed 24/03 08:00", "digest", "la"),
        ("Wed 24/03 09:00", "register_prompt", "provider"),
        ("Wed 24/03 11:15", "welfare_overdue", "dsl"),
        # Thu 25/03: the Letter of Assurance is overdue; absent (N) again
        ("Thu 25/03 08:00", "digest", "dsl"), ("Thu 25/03 08:00", "digest", "la"),
        ("Thu 25/03 08:30", "check_overdue", "teacher"),
        ("Thu 25/03 09:00", "register_prompt", "provider"),
        ("Thu 25/03 11:30", "welfare_overdue", "dsl"),
        # Good Friday, the weekend (clocks go forward) and Easter Monday: nothing.
        # Tue 30/03 (BST): the third unexplained school day in a row
        ("Tue 30/03 08:00", "digest", "dsl"), ("Tue 30/03 08:00", "digest", "la"),
        # (the QA visit was due on Easter Monday: counted in term time, it is due on Tuesday,
        # the first school day back, and overdue from Wednesday)
        ("Tue 30/03 08:30", "contact_overdue", "teacher"),
        ("Tue 30/03 09:00", "register_prompt", "provider"),
        ("Tue 30/03 09:15", "cme_risk", "dsl"),
        ("Tue 30/03 11:15", "welfare_overdue", "dsl"),
        # Wed 31/03: the check stays snoozed until Thu 01/04
        ("Wed 31/03 08:00", "digest", "dsl"), ("Wed 31/03 08:00", "digest", "la"),
        ("Wed 31/03 08:30", "qa_overdue", "teacher"),
        ("Wed 31/03 08:30", "contact_overdue", "teacher"),
        ("Wed 31/03 09:00", "register_prompt", "provider"),
    ]  # fmt: skip
    assert sorted(got) == sorted(expected)
    assert len(set(n.key for n in channel.sent)) == len(channel.sent)  # each sent once
    assert Counter(k for _, k, _ in got)["digest"] == 12

    # The clock change: Tuesday's 09:00 register prompt went at 08:00 UTC, Monday's at 09:00 UTC.
    prompts = [
        t for n, t in zip(channel.sent, channel.times, strict=True) if n.kind == "register_prompt"
    ]
    assert prompts[0].astimezone(dt.UTC).hour == 9
    assert prompts[-2].astimezone(dt.UTC).hour == 8
    # What the alerts say, and to whom: the provider never sees the pupil's name.
    texts = {n.kind: n for n in channel.sent}
    assert "Jamie Testpupil" not in texts["no_report"].text
    assert placement.reference in texts["no_report"].text
    assert "Jamie Testpupil" in texts["cme_risk"].text
    assert "3 school days in a row (Wed 24/03, Thu 25/03, Tue 30/03)" in texts["cme_risk"].text
    assert [b.action for b in texts["check_overdue"].buttons] == [
        "done",
        "snooze_day",
        "snooze_week",
        "open",
    ]
    assert [b.action for b in texts["cme_risk"].buttons] == ["open"]
