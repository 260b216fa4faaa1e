"""A serious concern's "review this placement now" is nudged to the DSL, urgently and every day
(weekends too), and shown in the digest, until the DSL decides; then it stops."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.scheduler.scheduler import Scheduler
from storage.clock import LONDON
from storage.models import ConcernReview, OutboxMessage
from storage.services.nudges import why_stale
from tests.support.chat import JsonChat
from tests.support.scheduler import RecordingDeliverer, clock_sleep
from tests.support.world import jamie_at_pathways


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


async def test_an_undecided_review_is_nudged_and_in_the_digest_until_decided(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    ref = placement.reference
    clock.set(_at(27, 10, 0))  # Friday
    teacher = await JsonChat.as_email(db, clock, world.teacher.email)
    await teacher.answer_all(
        {"severity": "pupil_missing", "entry_date": "", "text": "Not at the provider at 10:00; "
         "not at home either.", "confirm": "yes"},
        start=f"concern {ref}",
    )  # fmt: skip
    sent = RecordingDeliverer(clock)
    scheduler = Scheduler(db.sessions, clock, [sent], sleep=clock_sleep(clock))

    def review_nudges() -> list[str]:
        return [n.key for n in sent.sent if n.kind == "review_undecided"]

    clock.set(_at(27, 10, 30))
    await scheduler.run_pass()
    assert review_nudges() == []  # the review_now alert went at once; the nudge after an hour
    assert [n.recipient.person_id for n in sent.sent if n.kind == "review_now"] == [world.dsl.id]
    clock.set(_at(27, 11, 5))
    await scheduler.run_pass()
    [first] = [n for n in sent.sent if n.kind == "review_undecided"]
    assert first.recipient.person_id == world.dsl.id
    assert "URGENT" in first.text and f"decide {ref}" in first.text and "missing" in first.text
    assert "at home" not in first.text  # the kind of concern, not its words
    clock.set(_at(27, 15, 0))
    await scheduler.run_pass()
    assert len(review_nudges()) == 1  # once that day
    clock.set(_at(28, 8, 35))  # Saturday: urgent, so the weekend too
    await scheduler.run_pass()
    assert len(review_nudges()) == 2
    clock.set(_at(30, 8, 35))  # Monday: nudged again, and in the digest
    await scheduler.run_pass()
    assert len(review_nudges()) == 3  # (no pass ran on Sunday)
    digests = [n for n in sent.sent if n.kind == "digest" and n.recipient.person_id == world.dsl.id]
    section = next(
        s for s in digests[-1].sections if str(s["title"]).startswith("Serious concerns")
    )
    [line] = section["lines"]  # type: ignore[misc]
    assert ref in line and "the pupil is missing" in line and f"decide {ref}" in line

    dsl = await JsonChat.as_email(db, clock, world.dsl.email)
    await dsl.answer_all(
        {"decision": "suspend", "actions": "Police informed; placement paused until found.",
         "confirm": "yes"},
        start=f"decide {ref}",
    )  # fmt: skip
    clock.set(_at(30, 23, 0))
    await scheduler.run_pass()
    clock.set(dt.datetime(2026, 12, 1, 8, 35, tzinfo=LONDON))  # Tuesday
    await scheduler.run_pass()
    assert len(review_nudges()) == 3  # decided: no more
    digests = [n for n in sent.sent if n.kind == "digest" and n.recipient.person_id == world.dsl.id]
    section = next(s for s in digests[-1].sections if str(s["title"]).startswith("Serious"))
    assert section["lines"] == []


async def test_a_decided_concern_review_does_not_silence_the_placements_own_review(
    db, clock
) -> None:
    """A placement's review reminders (`review_soon`, a part-time review overdue) and a serious
    concern's "review this placement now" are different things: deciding a concern review
    whose number happens to be the placement's must not drop the placement's review nudge as
    done (they once shared the subject `review:N`)."""
    world, placement = await jamie_at_pathways(db, clock)
    clock.set(_at(27, 10, 0))
    teacher = await JsonChat.as_email(db, clock, world.teacher.email)
    await teacher.answer_all(
        {"severity": "pupil_missing", "entry_date": "", "text": "Not at the provider at 10:00.",
         "confirm": "yes"},
        start=f"concern {placement.reference}",
    )  # fmt: skip
    dsl = await JsonChat.as_email(db, clock, world.dsl.email)
    await dsl.answer_all(
        {"decision": "suspend", "actions": "Meeting with the provider on Monday.",
         "confirm": "yes"},
        start=f"decide {placement.reference}",
    )  # fmt: skip
    async with db.sessions() as session:
        review = await session.scalar(select(ConcernReview))
    assert review is not None and review.decided_at is not None
    assert review.id == placement.id  # the numbers collide
    # The subjects the rules give them (storage/rules/nudges.py).
    placement_review, concern_review = f"review:{placement.id}", f"concern-review:{review.id}"
    async with db.sessions() as session:
        row = OutboxMessage(
            kind="part_time_review",
            placement_id=placement.id,
            payload={"subject": placement_review},
        )
        assert await why_stale(session, row, clock.now()) is None
        row = OutboxMessage(
            kind="review_undecided", placement_id=placement.id, payload={"subject": concern_review}
        )
        assert await why_stale(session, row, clock.now()) == "the placement was reviewed"
