"""Why the pupil is in AP, asked at `start` and driven through the `--json` terminal channel:
the sixth school day of a suspension or exclusion (with the school calendar), a late start,
the checks a direction off-site, health needs or an EHC plan bring, and "other" in a few words.
Today in these tests is Friday 27/11/2026."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storage.models import ChecklistStatus, Placement, ReasonForAp
from storage.rules.calendar import TermBreak
from storage.services.audit import Change
from storage.services.terms import import_breaks
from tests.support.answers import full_time_answers
from tests.support.chat import JsonChat, prompt
from tests.support.factories import World, build_world

# Christmas holidays that stop short of New Year's Day (a bank holiday on its own).
CHRISTMAS = TermBreak("Christmas holidays", dt.date(2026, 12, 21), dt.date(2026, 12, 31))


async def _christmas(db: Any, clock: Any, world: World) -> None:
    async with db.sessions() as session, session.begin():
        school = await session.get(type(world.school), world.school.id)
        assert school is not None
        await import_breaks(
            session,
            Change(world.admin.id, "test", clock.now()),
            organisation=school,
            breaks=[CHRISTMAS],
        )


async def _placement(db: Any, reference: str) -> Placement:
    async with db.sessions() as session:
        placement = await session.scalar(
            select(Placement)
            .where(Placement.reference == reference)
            .options(selectinload(Placement.checklist))
        )
        assert placement is not None
        return placement


def _said(chat: JsonChat, level: str | None = None) -> list[str]:
    return [
        o["text"]
        for o in chat.transcript
        if o.get("type") in ("message", "prompt") and (level is None or o.get("level") == level)
    ]


def _confirm_text(chat: JsonChat) -> str:
    return next(o["text"] for o in chat.transcript if o.get("field") == "confirm")


async def test_suspension_sixth_day_across_weekend_break_and_bank_holiday_and_late_start(
    db, clock
) -> None:
    world = await build_world(db, clock)
    await _christmas(db, clock, world)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    answers = full_time_answers(world.pupil.id, world.provider.id)
    answers.update(
        {
            "reason": "suspension",
            # Thu 17/12 and Fri 18/12, the weekend, the holidays, New Year's Day (Friday), the
            # weekend; then Mon 4/1 to Thu 7/1: the sixth school day is Thursday 07/01/2027.
            "reason_first_day": "17/12/2026",
            "suspension_days": "10",
            "start_date": "11/01/2027",
            "planned_end_date": "26/03/2027",
        }
    )
    out = await chat.answer_all(answers, start="start")
    assert out[-1]["type"] == "done"
    assert out[-1]["record"]["full_time_education_from"] == "2027-01-07"
    info = " ".join(_said(chat))
    assert "Full-time education must be in place from Thu 07/01/2027" in info
    warnings = _said(chat, "warning")
    assert any(
        "2 school days after full-time education was due (07/01/2027)" in w for w in warnings
    )
    summary = _confirm_text(chat)
    assert "Why in AP: Suspension from 17/12/2026, 10 school days" in summary
    assert "LATE START" in summary
    placement = await _placement(db, out[-1]["record"]["reference"])
    assert placement.reason == ReasonForAp.suspension
    assert placement.reason_first_day == dt.date(2026, 12, 17)
    assert placement.suspension_days == 10
    assert placement.full_time_education_from == dt.date(2027, 1, 7)


async def test_a_short_suspension_has_no_sixth_day_and_no_late_warning(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    answers = full_time_answers(world.pupil.id, world.provider.id)
    answers.update(
        {"reason": "suspension", "reason_first_day": "23/11/2026", "suspension_days": "3"}
    )
    out = await chat.answer_all(answers, start="start")
    assert out[-1]["record"]["full_time_education_from"] is None
    assert any("five school days or fewer" in t for t in _said(chat))
    assert not any("after full-time education was due" in w for w in _said(chat, "warning"))


async def test_permanent_exclusion_in_time_and_a_school_commissioning_is_told_the_la_normally_does(
    db, clock
) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    answers = full_time_answers(world.pupil.id, world.provider.id)
    # Mon 23/11 to Fri 27/11 are days one to five: the sixth is Monday 30/11, the start.
    answers.update({"reason": "permanent exclusion", "reason_first_day": "23/11/2026"})
    out = await chat.answer_all(answers, start="start")
    assert out[-1]["record"]["full_time_education_from"] == "2026-11-30"
    warnings = _said(chat, "warning")
    assert any("normally the local authority" in w for w in warnings)
    assert not any("after full-time education was due" in w for w in warnings)
    assert "LATE START" not in _confirm_text(chat)
    assert "the local authority must arrange it" in " ".join(_said(chat))


async def test_la_officer_placing_an_excluded_pupil_late_is_warned(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.la_officer.email)
    answers = full_time_answers(0, world.provider.id)
    answers.update(
        {
            "pupil": "new",
            "first_name": "Kai",
            "last_name": "Testpupil",
            "year_group": "10",
            "upn": "skip",
            "flags": "none",
            "reason": "permanent_exclusion",
            "reason_first_day": "16/11/2026",  # the sixth school day was Monday 23/11
            "start_date": "30/11/2026",
        }
    )
    out = await chat.answer_all(answers, start="start")
    assert out[-1]["type"] == "done"
    warnings = _said(chat, "warning")
    assert not any("normally the local authority" in w for w in warnings)
    assert any(
        "5 school days after full-time education was due (23/11/2026)" in w for w in warnings
    )


async def test_off_site_direction_makes_the_notice_and_review_checks_with_due_dates(
    db, clock
) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    answers = full_time_answers(world.pupil.id, world.provider.id)
    answers.update(
        {
            "reason": "off_site_direction",
            "start_date": "02/12/2026",  # a Wednesday: notice by Monday 30/11
            "check.off_site_notice_given": "not yet",
            "check.off_site_notice_given.due": "",
            "check.off_site_review_held": "not yet",
            "check.off_site_review_held.due": "",
        }
    )
    out = await chat.answer_all(answers, start="start")
    assert out[-1]["type"] == "done"
    due_question = next(
        o["text"] for o in chat.transcript if o.get("field") == "check.off_site_notice_given.due"
    )
    assert "30/11/2026" in due_question
    placement = await _placement(db, out[-1]["record"]["reference"])
    items = {item.key: item for item in placement.checklist}
    notice = items["off_site_notice_given"]
    assert notice.status == ChecklistStatus.not_done and notice.due_date == dt.date(2026, 11, 30)
    review = items["off_site_review_held"]
    assert review.status == ChecklistStatus.not_done and review.due_date == dt.date(2026, 12, 30)
    # Neither can be waved away as not applicable.
    notice_question = next(
        o for o in chat.transcript if o.get("field") == "check.off_site_notice_given"
    )
    assert [c["value"] for c in notice_question["choices"]] == ["done", "not_yet"]
    assert "health_needs_la_involved" not in items and "ehc_la_consulted" not in items


async def test_off_site_direction_starting_too_soon_for_the_notice_is_warned(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    answers = full_time_answers(world.pupil.id, world.provider.id)
    answers.update(
        {
            "reason": "off_site_direction",  # Monday 30/11: notice by Thursday 26/11, yesterday
            "check.off_site_notice_given": "not yet",
            "check.off_site_notice_given.due": "",
            "check.off_site_review_held": "done",
        }
    )
    out = await chat.answer_all(answers, start="start")
    assert out[-1]["type"] == "done"
    assert any("had to be given by Thu 26/11/2026" in w for w in _said(chat, "warning")), _said(
        chat, "warning"
    )


async def test_medical_and_ehc_plan_add_their_la_checks(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    answers = full_time_answers(world.pupil.id, world.provider.id)
    answers.update({"reason": "medical", "check.health_needs_la_involved": "not yet",
                    "check.health_needs_la_involved.due": ""})  # fmt: skip
    out = await chat.answer_all(answers, start="start")
    medical = await _placement(db, out[-1]["record"]["reference"])
    items = {item.key: item for item in medical.checklist}
    assert items["health_needs_la_involved"].due_date == dt.date(2026, 12, 7)
    assert "Why in AP: Health needs" in _confirm_text(chat)

    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    answers = full_time_answers(world.fsm_pupil.id, world.provider.id)
    answers.update({"reason": "ehc_plan", "check.ehc_la_consulted": "done",
                    "check.fsm_arranged": "done"})  # fmt: skip
    out = await chat.answer_all(answers, start="start")
    ehc = await _placement(db, out[-1]["record"]["reference"])
    assert ehc.reason == ReasonForAp.ehc_plan
    assert {i.key: i.status for i in ehc.checklist}["ehc_la_consulted"] == ChecklistStatus.done
    assert any("doesn't say they have an EHC plan" in w for w in _said(chat, "warning"))


async def test_other_reason_is_kept_in_a_few_words(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await chat.answer_all(full_time_answers(world.pupil.id, world.provider.id), start="start")
    placement = await _placement(db, out[-1]["record"]["reference"])
    assert placement.reason == ReasonForAp.other
    assert placement.reason_detail == "Re-engagement programme after a long absence."
    assert "Why in AP: Other: Re-engagement programme" in _confirm_text(chat)


async def test_bad_reason_answers_are_reasked_and_back_and_cancel_work(db, clock) -> None:
    world = await build_world(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    await chat.say("start")
    assert prompt(await chat.say(f"pupil-{world.pupil.id}"))["field"] == "reason"
    out = await chat.say("because")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "reason"
    assert prompt(await chat.say("suspension"))["field"] == "reason_first_day"
    for bad, why in (
        ("31/02/2026", "not a real date"),
        ("01/11/2025", "within the last year"),
        ("01/03/2027", "within the next two months"),
    ):
        out = await chat.say(bad)
        assert out[0]["type"] == "error" and why in out[0]["text"], out
        assert prompt(out)["field"] == "reason_first_day"
    assert prompt(await chat.say("23/11/2026"))["field"] == "suspension_days"
    for bad, why in (("ten", "number of school days"), ("0", "at least one"), ("46", "45")):
        out = await chat.say(bad)
        assert out[0]["type"] == "error" and why in out[0]["text"], out
    # Back to the first day, back to the reason: now a permanent exclusion.
    assert prompt(await chat.say("back"))["field"] == "reason_first_day"
    assert prompt(await chat.say("back"))["field"] == "reason"
    assert prompt(await chat.say("permanent exclusion"))["field"] == "reason_first_day"
    out = await chat.say("23/11/2026")
    assert prompt(out)["field"] == "provider"
    assert "30/11/2026" in " ".join(o.get("text", "") for o in out)
    out = await chat.say("cancel")
    assert "Nothing was saved" in out[-1]["text"]
    async with db.sessions() as session:
        assert await session.scalar(select(Placement.id)) is None
