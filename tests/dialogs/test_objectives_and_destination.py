"""Objectives with target dates (issue 16 item 3): entered at the start, judged at each QA
visit, shown in the governors' report with the support actually in place; and at the end, the
pupil's own view and their destination (NEET: the DSL is told)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from storage.models import (
    ObjectiveProgress,
    ObjectiveReview,
    ObjectiveStatus,
    OutboxMessage,
    Placement,
    PlacementChangeKind,
    PlacementObjective,
)
from storage.services.audit import Change
from storage.services.placement_changes import (
    ObjectiveAgreed,
    PlacementUpdate,
    change_placement,
)
from tests.support.answers import full_time_answers
from tests.support.chat import JsonChat, prompt
from tests.support.factories import build_world
from tests.support.world import jamie_at_pathways

VISIT = {
    "placement": "1",
    "visit_date": "",
    "pupil_seen": "yes",
    "pupil_voice": "Maths is getting easier.",
    "setting_safe": "yes",
    "register_matches": "yes",
    "any_concerns": "no",
    "rating": "good",
    "actions_agreed": "Weekly maths catch-up with the provider's tutor.",
    "progress.1": "good progress",
    "progress.1.note": "Has attended every session for three weeks.",
    "progress.2": "achieved",
    "progress.2.note": "skip",
    "next_visit_due": "",
    "confirm": "yes",
}


async def _with_objectives(db, clock) -> tuple:
    world, placement = await jamie_at_pathways(db, clock)
    async with db.sessions() as session, session.begin():
        stored = await session.get(Placement, placement.id)
        assert stored is not None
        await change_placement(
            session,
            Change(person_id=world.teacher.id, channel="test", at=clock.now()),
            stored,
            update=PlacementUpdate(
                kind=PlacementChangeKind.objectives,
                objectives=[
                    ObjectiveAgreed(text="Attend every session", target_date=dt.date(2026, 12, 18)),
                    ObjectiveAgreed(text="Finish the maths unit", target_date=dt.date(2027, 1, 8)),
                ],
            ),
            reason="Agreed at the review meeting.",
        )
    return world, placement


async def test_start_asks_a_target_date_for_each_objective(db, clock) -> None:
    world = await build_world(db, clock)
    chat = JsonChat(db, clock, world.teacher)
    answers = full_time_answers(world.pupil.id, world.provider.id)
    answers["objective_target.1"] = "18/12/2026"
    out = await chat.answer_all(answers, start="start")
    assert out[-1]["type"] == "done"
    asked = [o for o in chat.transcript if o.get("field", "").startswith("objective_target.")]
    assert "'Re-engage with maths and English'" in asked[0]["text"]
    assert "blank for the planned end, 05/02/2027" in asked[1]["text"]
    confirm = next(o for o in chat.transcript if o.get("field") == "confirm")
    assert "1. Re-engage with maths and English (by 18/12/2026)" in confirm["text"]
    assert "2. reduce suspensions. (by 05/02/2027)" in confirm["text"]
    async with db.sessions() as session:
        rows = list(
            await session.scalars(select(PlacementObjective).order_by(PlacementObjective.position))
        )
    assert [(o.text, o.target_date) for o in rows] == [
        ("Re-engage with maths and English", dt.date(2026, 12, 18)),
        ("reduce suspensions.", dt.date(2027, 2, 5)),
    ]


async def test_a_qa_visit_records_progress_against_each_objective(db, clock) -> None:
    world, _ = await _with_objectives(db, clock)
    chat = JsonChat(db, clock, world.teacher)
    out = await chat.answer_all(VISIT, start="visit")
    assert out[-1]["type"] == "done"
    asked = next(o for o in chat.transcript if o.get("field") == "progress.1")
    assert "Objective 1: 'Attend every session' (target 18/12/2026)" in asked["text"]
    assert [c["label"] for c in asked["choices"]] == [
        "Not started",
        "Some progress",
        "Good progress",
        "Achieved",
    ]
    confirm = next(o for o in chat.transcript if o.get("field") == "confirm")
    assert "Progress: objective 1: good progress; objective 2: achieved" in confirm["text"]
    async with db.sessions() as session:
        reviews = list(await session.scalars(select(ObjectiveReview).order_by(ObjectiveReview.id)))
        objectives = list(
            await session.scalars(select(PlacementObjective).order_by(PlacementObjective.position))
        )
    assert [(r.progress, r.note) for r in reviews] == [
        (ObjectiveProgress.good_progress, "Has attended every session for three weeks."),
        (ObjectiveProgress.achieved, None),
    ]
    assert all(r.visit_id == out[-1]["record"]["visit_id"] for r in reviews)
    assert [o.status for o in objectives] == [ObjectiveStatus.open, ObjectiveStatus.achieved]
    visits = (await chat.say("visits " + out[-1]["record"]["reference"]))[-1]["text"]
    assert (
        "objective 1: good progress (Has attended every session for three weeks.); "
        "objective 2: achieved; next visit due"
    ) in visits

    # The next visit asks only about the objective still open.
    again = await chat.say("visit")
    fields = []
    for answer in ("1", "", "yes", "Fine.", "yes", "yes", "no", "good", "skip"):
        fields.append(prompt(again)["field"])
        again = await chat.say(answer)
    assert prompt(again)["field"] == "progress.1"
    assert "Attend every session" in prompt(again)["text"]
    assert prompt(await chat.say("some progress"))["field"] == "progress.1.note"
    assert prompt(await chat.say(""))["field"] == "next_visit_due"
    await chat.say("cancel")


async def test_the_governors_report_shows_progress_and_support_not_checklist_items(
    db, clock
) -> None:
    world, _ = await _with_objectives(db, clock)
    await JsonChat(db, clock, world.teacher).answer_all(VISIT, start="visit")
    chat = JsonChat(db, clock, world.dsl)
    done = (await chat.answer_all({"term": "1"}, start="report"))[-1]
    assert done["type"] == "done"
    assert "objectives achieved 1 of 2" in done["text"]
    assert done["record"]["objectives"] == {
        "P1": [
            "Objective 1 (target December 2026): good progress",
            "Objective 2 (target January 2027): achieved",
        ]
    }
    files = {Path(f["path"]).suffix: Path(f["path"]) for f in done["files"]}
    for document in (files[".html"].read_text(), files[".csv"].read_text()):
        assert "Objective 1 (target December 2026): good progress" in document
        assert "QA visits this term: 1, the pupil seen and heard at 1" in document
        assert "Actions agreed with the provider at 1 visit(s)" in document
        assert "Arrangements changed: objectives (November 2026)" in document
        # No objective's words, nor the pupil's, in a report for governors.
        assert "Attend every session" not in document and "Jamie" not in document


async def test_ending_asks_the_pupils_view_and_a_neet_destination_tells_the_dsl(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    chat = JsonChat(db, clock, world.teacher)
    await chat.say(f"end {placement.reference}")
    outcome = prompt(await chat.say(""))
    assert [c["value"] for c in outcome["choices"]] == [
        "returned_to_school",
        "moved_to_mainstream",
        "moved_to_special_school",
        "moved_to_other_ap",
        "further_education",
        "employment_with_training",
        "neet",
        "moved_away",
        "other",
    ]
    assert prompt(await chat.say("neet"))["field"] == "pupil_view"
    await chat.say("I didn't like it there but the mentor was kind.")
    confirm = prompt(await chat.say("Family declined a college place; referred to the LA."))
    assert "The pupil's view: I didn't like it there" in confirm["text"]
    assert "not in education, employment or training: the DSL is told" in confirm["text"]
    done = (await chat.say("yes"))[-1]
    assert (
        "not in education, employment or training (NEET). Your DSL has been told." in (done["text"])
    )
    async with db.sessions() as session:
        stored = await session.get(Placement, placement.id)
        assert stored is not None and stored.end_outcome == "neet"
        assert stored.pupil_view_at_end == "I didn't like it there but the mentor was kind."
        [told] = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "pupil_neet"))
        )
    assert told.recipient_id == world.dsl.id and placement.reference in told.text
    history = (await JsonChat(db, clock, world.dsl).say(f"history {placement.reference}"))[-1]
    assert (
        "placement ended (next: Not in education, employment or training (NEET)); the pupil's "
        "view: I didn't like it there"
    ) in history["text"]


async def test_the_export_carries_objectives_progress_changes_view_and_destination(
    db, clock
) -> None:
    world, placement = await _with_objectives(db, clock)
    await JsonChat(db, clock, world.teacher).answer_all(VISIT, start="visit")
    teacher = JsonChat(db, clock, world.teacher)
    await teacher.say(f"end {placement.reference}")
    await teacher.say("")
    await teacher.say("further education")
    await teacher.say("College will suit me better.")
    await teacher.say("Starts at Testtown College in January; file sent.")
    assert (await teacher.say("yes"))[-1]["type"] == "done"

    dsl = JsonChat(db, clock, world.dsl)
    await dsl.say(f"export {placement.reference}")
    done = (await dsl.say("yes"))[-1]
    files = {Path(f["path"]).suffix: Path(f["path"]) for f in done["files"]}
    [record] = json.loads(files[".json"].read_text())["placements"]
    assert record["end_outcome"] == "further_education"
    assert record["pupil_view_at_end"] == "College will suit me better."
    assert [(o["text"], o["target_date"], o["status"]) for o in record["objective_list"]] == [
        ("Attend every session", "2026-12-18", "open"),
        ("Finish the maths unit", "2027-01-08", "achieved"),
    ]
    assert record["objective_list"][0]["progress"][0]["progress"] == "good_progress"
    assert [(c["kind"], c["reason"]) for c in record["changes"]] == [
        ("objectives", "Agreed at the review meeting.")
    ]
    pdf = "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(files[".pdf"].read_bytes())).pages
    )
    assert "College will suit me better." in pdf and "Destination further education" in pdf
    assert "Changes to the arrangements" in pdf
