"""Answers tests give the dialogs again and again: a full-time placement through `start`, and
the provider's report of a day's absence (reason not yet known) through `absent`."""

from __future__ import annotations

from storage.clock import Clock
from tests.support.chat import JsonChat
from tests.support.database import Database
from tests.support.factories import World

# Every check of the start dialog's checklist answered "done".
CHECKLIST_ALL_DONE = {
    f"check.{key}": "done"
    for key in (
        "letter_of_assurance",
        "checks_sighted",
        "our_policy_shared",
        "ap_policy_received",
        "issue_sharing_agreed",
        "chronology_shared",
        "plans_shared",
        "other_providers_told",
        "fsm_arranged",
        "parents_informed",
        "length_and_return_agreed",
        "la_notified",
        "absence_sharing_agreed",
        "travel_provider_qa",
        "travel_policy_shared",
    )
}


# `start`'s part-time answers: a parent agreed today, the pupil is at school on Thursdays and
# Fridays (asked when there are school hours), until Friday 08/01/2027 (the review that day).
PART_TIME_AGREED = {
    "part_time_parent_agreed": "yes",
    "part_time_agreed_on": "today",
    "part_time_circumstances": "Anxiety after a long illness; building up to full time.",
    "school_days": "thu, fri",
    "part_time_ends": "08/01/2027",
    "review_date": "08/01/2027",
}


def full_time_answers(pupil_id: int, provider_id: int) -> dict[str, str]:
    """`start`'s answers, by field, for a full-time placement (25 hours at the provider, 7.5 at
    school) from Monday 30/11/2026, every check done but the Letter of Assurance (not yet) and
    travel (not applicable); the pupil is in AP for "other" reasons (a re-engagement programme)."""
    return {
        "pupil": f"pupil-{pupil_id}",
        "reason": "other",
        "reason_detail": "Re-engagement programme after a long absence.",
        "provider": f"provider-{provider_id}",
        "site": "1",
        "start_date": "30/11/2026",
        "planned_end_date": "05/02/2027",
        "provider_days": "mon, tue, wed, thu, fri",
        "provider_hours": "25",
        "school_hours": "7.5",
        "other_hours": "",
        # Asked when the pupil is not at the provider every day: blank for all the other days.
        "school_days": "",
        "attendance_code": "",
        "absence_deadline": "",
        "welfare_call_party": "provider",
        "welfare_call_arrangements": "Provider rings home by 10:00; if no answer our DSL visits.",
        "objectives": "Re-engage with maths and English; reduce suspensions.",
        # Each objective's target date: blank for the planned end.
        "objective_target.1": "",
        "objective_target.2": "",
        "return_plan": "Phased return from February half-term.",
        **CHECKLIST_ALL_DONE,
        "check.letter_of_assurance": "not yet",
        "check.letter_of_assurance.due": "",
        "check.travel_provider_qa": "na",
        "check.travel_provider_qa.reason": "Pupil walks; no transport arranged.",
        "check.letter_of_assurance.evidence": "skip",
        "confirm": "yes",
    }


async def report_n(db: Database, clock: Clock, world: World) -> None:
    """The provider reports Jamie absent all day, reason not yet known (N)."""
    chat = await JsonChat.as_email(db, clock, world.provider_staff.email)
    out = await chat.answer_all(
        {
            "placement": "1",
            "date": "",
            "sessions": "both",
            "reason": "not known",
            "code": "",
            "confirm": "yes",
        },
        start="absent",
    )
    assert out[-1]["type"] == "done" and out[-1]["record"]["code"] == "N"
