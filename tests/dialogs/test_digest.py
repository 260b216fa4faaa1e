"""`digest`: a DSL asks for the daily digest now; teachers and providers can't."""

from __future__ import annotations

from storage.clock import FixedClock
from tests.support.chat import JsonChat
from tests.support.database import Database
from tests.support.factories import build_world, place


async def test_a_dsl_gets_the_digest_now_and_a_teacher_is_refused(
    db: Database, clock: FixedClock
) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(session, clock, by=world.teacher, pupil=world.pupil,
                                provider=world.provider, start=clock.now().date())  # fmt: skip
    dsl = await JsonChat.as_email(db, clock, "dsl@elmpark.test")
    [done] = await dsl.say("digest")
    assert done["type"] == "done" and done["dialog"] == "digest"
    assert done["text"].startswith(
        "Daily safeguarding digest for Elm Park School, Friday 27/11/2026"
    )
    titles = [s["title"] for s in done["record"]["sections"]]
    assert (
        titles[0] == "Absences reported since Thu 26/11 10:00"
        and titles[-1] == "Attendance over the last 4 weeks"
    )
    assert f"Jamie Testpupil ({placement.reference})" in done["text"]

    teacher = await JsonChat.as_email(db, clock, "teacher@elmpark.test")
    [refused] = await teacher.say("digest")
    assert refused["type"] == "error" and "isn't available to teachers" in refused["text"]
