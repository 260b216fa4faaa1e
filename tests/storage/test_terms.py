"""School calendars read from the term breaks: the reads are statements built once (the dialog
asking for a day reads a calendar every turn), so each call must still see the breaks as they
stand, for whichever organisations it is asked about."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from storage.models import TermBreakRecord
from storage.rules.calendar import TermBreak
from storage.services.audit import Change
from storage.services.terms import CALENDAR_LOOKBACK, calendar_for, calendars_for, import_breaks
from tests.support.factories import build_world

TODAY = dt.date(2026, 11, 27)


async def test_a_calendar_read_again_sees_term_dates_changed_since(db, clock) -> None:
    world = await build_world(db, clock)
    change = Change(person_id=None, channel="test", at=clock.now())
    school, la = world.school, world.la
    async with db.sessions() as session, session.begin():
        await import_breaks(
            session,
            change,
            organisation=school,
            breaks=[TermBreak("Inset", dt.date(2026, 12, 7), dt.date(2026, 12, 7))],
        )
    async with db.sessions() as session:
        before = await calendar_for(session, school.id, today=TODAY)
    assert not before.is_school_day(dt.date(2026, 12, 7))
    assert before.is_school_day(dt.date(2026, 12, 8))

    # The school moves its training day, and its LA closes every school for a day.
    async with db.sessions() as session, session.begin():
        await session.execute(
            update(TermBreakRecord)
            .where(TermBreakRecord.organisation_id == school.id)
            .values(first_day=dt.date(2026, 12, 8), last_day=dt.date(2026, 12, 8))
        )
        await import_breaks(
            session,
            change,
            organisation=la,
            breaks=[TermBreak("LA closure", dt.date(2026, 12, 9), dt.date(2026, 12, 9))],
        )
    async with db.sessions() as session:
        after = await calendar_for(session, school.id, today=TODAY)
        both = await calendars_for(session, [world.other_school.id, school.id], today=TODAY)
        # A day far enough on, the training day is past the look-back: not read any more.
        later = await calendar_for(
            session, school.id, today=dt.date(2026, 12, 8) + CALENDAR_LOOKBACK + dt.timedelta(1)
        )
    assert after.is_school_day(dt.date(2026, 12, 7))
    assert not after.is_school_day(dt.date(2026, 12, 8))
    assert not after.is_school_day(dt.date(2026, 12, 9))  # the LA's closure counts
    assert sorted(both) == sorted([school.id, world.other_school.id])
    assert [b.name for b in both[school.id].breaks] == ["Inset", "LA closure"]
    assert [b.name for b in both[world.other_school.id].breaks] == ["LA closure"]
    assert [b.name for b in later.breaks] == ["LA closure"]
    async with db.sessions() as session:
        assert await calendars_for(session, [], today=TODAY) == {}
