"""Change a placement after it started (issue 16 item 3), through the `--json` channel: each part
of the arrangements asked again with the start's checks, why required, the change kept with who,
when, why, before and after; the full-time check redone; the provider told what changed by
reference only; the DSL told of a change to the safeguarding arrangements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from storage.models import (
    AuditEntry,
    ChecklistItem,
    ChecklistStatus,
    ObjectiveStatus,
    OutboxMessage,
    Placement,
    PlacementChange,
    PlacementChangeKind,
    PlacementObjective,
    WelfareCall,
    WelfareCallParty,
    WelfareCallStatus,
)
from storage.services.audit import Change
from storage.services.placements import end_placement
from tests.support.answers import report_n
from tests.support.chat import JsonChat, prompt, texts
from tests.support.factories import build_world, place
from tests.support.world import jamie_at_pathways


async def _changes(db, placement: Placement) -> list[PlacementChange]:
    async with db.sessions() as session:
        rows = await session.scalars(
            select(PlacementChange)
            .where(PlacementChange.placement_id == placement.id)
            .order_by(PlacementChange.id)
        )
        return list(rows)


async def _told(db, kind: str = "placement_changed") -> list[OutboxMessage]:
    async with db.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
        return list(rows)


async def _stored(db, placement: Placement) -> Placement:
    async with db.sessions() as session:
        stored = await session.get(Placement, placement.id)
        assert stored is not None
        return stored


async def test_a_shorter_week_becomes_part_time_needs_a_review_and_the_provider_is_told(
    db, clock
) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    out = await chat.say(f"change {placement.reference}")
    what = prompt(out)
    assert what["field"] == "what"
    assert [c["value"] for c in what["choices"]] == [
        "timetable",
        "site",
        "planned_end",
        "review_date",
        "absence_deadline",
        "welfare_calls",
        "objectives",
    ]
    assert prompt(await chat.say("1"))["field"] == "provider_days"
    await chat.say("mon, tue, wed")
    # The start's checks: more hours than the days allow are refused.
    out = await chat.say("40")
    assert out[0]["type"] == "error"
    await chat.say("15")
    out = await chat.say("7.5")  # (other placements' hours are counted, not asked)
    assert prompt(out)["field"] == "review_date"
    # The full-time check redone: said before the review is asked.
    assert "Part-time timetable: 22.5 h of 32.5 h, 10 h short" in texts(out)
    # The review is not in the past, nor after the planned end.
    assert (await chat.say("20/11/2026"))[0]["type"] == "error"
    assert (await chat.say("01/03/2027"))[0]["type"] == "error"
    reason = prompt(await chat.say("18/12/2026"))
    assert reason["field"] == "reason"
    # Why is required: blank and "skip" are refused.
    assert (await chat.say(""))[0]["type"] == "error"
    assert (await chat.say("skip"))[0]["type"] == "error"
    confirm = prompt(await chat.say("Agreed at the review meeting: mornings at school."))
    assert "Changing: days and hours" in confirm["text"]
    assert (
        "Was: Monday, Tuesday, Wednesday, Thursday, Friday at the provider, 25 h"
        in (confirm["text"])
    )
    assert "Part-time timetable: 22.5 h of 32.5 h" in confirm["text"]
    done = (await chat.say("yes"))[-1]
    assert done["type"] == "done" and done["record"]["is_full_time"] is False
    assert (
        "part-time timetable (C2 for sessions not attended), reviewed by 18/12/2026"
        in (done["text"])
    )

    stored = await _stored(db, placement)
    assert stored.days == ["mon", "tue", "wed"] and stored.provider_hours == Decimal(15)
    assert stored.is_full_time is False and stored.review_date == dt.date(2026, 12, 18)
    [change] = await _changes(db, placement)
    assert change.kind == PlacementChangeKind.timetable and change.changed_by_id == world.teacher.id
    assert change.changed_at == clock.now() and change.reason.startswith("Agreed at the review")
    assert change.before and "Full-time" in change.before
    assert change.after and "Part-time" in change.after and "Review 18/12/2026" in change.after
    async with db.sessions() as session:
        item = await session.scalar(
            select(ChecklistItem).where(
                ChecklistItem.placement_id == placement.id,
                ChecklistItem.key == "full_time_provision",
            )
        )
        assert item is not None and item.status == ChecklistStatus.not_done
        assert item.due_date == dt.date(2026, 12, 18)
        audited = await session.scalar(
            select(AuditEntry).where(AuditEntry.record_type == "PlacementChange")
        )
        assert audited is not None and audited.placement_id == placement.id
    [notice] = await _told(db)
    assert notice.recipient_id == world.provider_staff.id
    assert notice.text == (
        f"Placement {placement.reference} has changed: the pupil is now with you on Monday, "
        "Tuesday, Wednesday, 15 h a week."
    )
    assert "Jamie" not in notice.text and "Testpupil" not in notice.text

    # Back to full-time: the check is done again, and no review is asked.
    await chat.say(f"change {placement.reference}")
    await chat.say("timetable")
    await chat.say("mon, tue, wed, thu, fri")
    await chat.say("25")
    await chat.say("7.5")
    assert prompt(await chat.say(""))["field"] == "reason"
    await chat.say("Back to full days.")
    done = (await chat.say("yes"))[-1]
    assert done["record"]["is_full_time"] is True and "It is now full-time." in done["text"]


async def test_planned_end_site_review_and_objectives_each_change_and_are_kept(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    chat = await JsonChat.as_email(db, clock, world.dsl.email)

    await chat.say(f"change {placement.reference}")
    await chat.say("planned end")
    assert (await chat.say("20/11/2026"))[0]["type"] == "error"  # in the past
    await chat.say("12/02/2027")
    await chat.say("Extended by two weeks at the review.")
    assert (await chat.say("yes"))[-1]["type"] == "done"

    await chat.say(f"change {placement.reference}")
    site = prompt(await chat.say("site"))
    assert [c["label"] for c in site["choices"]] == [
        "Main site, 1 Test Road, Testtown",
        "Farm site, Test Farm, Testtown",
    ]
    await chat.say("Farm site, Test Farm, Testtown")
    await chat.say("The workshop moved to the farm.")
    assert (await chat.say("yes"))[-1]["type"] == "done"

    await chat.say(f"change {placement.reference}")
    await chat.say("review date")
    await chat.say("15/01/2027")
    await chat.say("Review moved after the holidays.")
    assert (await chat.say("yes"))[-1]["type"] == "done"

    await chat.say(f"change {placement.reference}")
    asked = prompt(await chat.say("objectives"))
    assert asked["field"] == "objectives" and "none recorded" in asked["text"]
    target = prompt(await chat.say("Attend every session; Finish the English unit"))
    assert target["field"] == "objective_target.1" and "Attend every session" in target["text"]
    assert "blank for the planned end, 12/02/2027" in target["text"]
    await chat.say("18/12/2026")
    # A target after the planned end is refused.
    assert (await chat.say("01/03/2027"))[0]["type"] == "error"
    await chat.say("")
    confirm = prompt(await chat.say("Agreed with the pupil and mum."))
    assert "1. Attend every session (by 18/12/2026)" in confirm["text"]
    assert "2. Finish the English unit (by 12/02/2027)" in confirm["text"]
    assert (await chat.say("yes"))[-1]["type"] == "done"

    stored = await _stored(db, placement)
    assert stored.planned_end_date == dt.date(2027, 2, 12)
    assert stored.site is not None and stored.site.name == "Farm site"
    assert stored.review_date == dt.date(2027, 1, 15)
    changes = await _changes(db, placement)
    assert [c.kind.value for c in changes] == ["planned_end", "site", "review_date", "objectives"]
    assert (changes[0].before, changes[0].after) == ("11/01/2027", "12/02/2027")
    async with db.sessions() as session:
        objectives = list(
            await session.scalars(
                select(PlacementObjective)
                .where(PlacementObjective.placement_id == placement.id)
                .order_by(PlacementObjective.position)
            )
        )
    assert [(o.text, o.target_date, o.status) for o in objectives] == [
        ("Attend every session", dt.date(2026, 12, 18), ObjectiveStatus.open),
        ("Finish the English unit", dt.date(2027, 2, 12), ObjectiveStatus.open),
    ]
    told = [m.text for m in await _told(db)]
    assert told == [
        f"Placement {placement.reference} has changed: the planned end is now 12/02/2027.",
        f"Placement {placement.reference} has changed: the pupil now attends your site Farm site.",
        f"Placement {placement.reference} has changed: the timetable is now reviewed on "
        "15/01/2027.",
        f"Placement {placement.reference} has changed: the placement's objectives have changed; "
        "the school will share them with you.",
    ]

    history = (await chat.say(f"history {placement.reference}"))[-1]["text"]
    assert "changed the site: was not named; now Farm site, Test Farm, Testtown; why: The " in (
        history
    )


async def test_welfare_calls_and_the_deadline_tell_the_dsl(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    await chat.say(f"change {placement.reference}")
    deadline = prompt(await chat.say("absence deadline"))
    assert deadline["field"] == "absence_deadline" and "blank for 09:30" in deadline["text"]
    assert (await chat.say("13:00"))[0]["type"] == "error"  # the start's check: too late
    await chat.say("10:00")
    confirm = prompt(await chat.say("The minibus arrives later now."))
    assert "the DSL is told (safeguarding arrangements)" in confirm["text"]
    done = (await chat.say("yes"))[-1]
    assert "and your DSL has been told" in done["text"]

    await chat.say(f"change {placement.reference}")
    await chat.say("welfare calls")
    await chat.say("1")  # the school (us)
    await chat.say("Tess Teacher")
    await chat.say("Tess rings home by 10:15; no answer, the DSL visits.")
    await chat.say("The provider has no office cover on Fridays.")
    assert (await chat.say("yes"))[-1]["type"] == "done"

    stored = await _stored(db, placement)
    assert stored.absence_deadline == dt.time(10, 0)
    assert stored.welfare_call_party == WelfareCallParty.school
    assert stored.welfare_call_person_id == world.teacher.id
    told = await _told(db)
    to_dsl = [m for m in told if m.recipient_id == world.dsl.id]
    to_provider = [m for m in told if m.recipient_id == world.provider_staff.id]
    assert len(to_dsl) == 2 and len(to_provider) == 2
    assert "absence-report deadline for Jamie Testpupil's placement" in to_dsl[0].text
    assert "Was: 09:30. Now: 10:00. Why: The minibus arrives later now." in to_dsl[0].text
    assert "Tess rings home by 10:15" in to_dsl[1].text
    assert to_provider[0].text.endswith("please now report any non-attendance by 10:00.")
    assert "welfare calls home are now made by the school" in to_provider[1].text
    for message in to_provider:
        assert "Jamie" not in message.text and "Tess rings" not in message.text


async def test_an_open_welfare_call_goes_to_whoever_now_makes_the_calls(db, clock) -> None:
    # Jamie is absent and Pathways owes the call home; before anyone rings, the school takes
    # the calls over. The open call must follow, or nobody makes it.
    world, placement = await jamie_at_pathways(db, clock)
    await report_n(db, clock, world)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    await chat.say(f"change {placement.reference}")
    await chat.say("welfare calls")
    await chat.say("1")  # the school (us)
    await chat.say("Tess Teacher")
    await chat.say("Tess rings home by 10:15.")
    refused = await chat.say("ok")
    assert refused[0]["type"] == "error" and "'ok' doesn't say why" in refused[0]["text"]
    await chat.say("Pathways' office is closed this week.")
    done = (await chat.say("yes"))[-1]
    assert done["type"] == "done"
    assert "The welfare call still open (Fri 27/11) is now Tess Teacher's to make" in done["text"]

    async with db.sessions() as session:
        [call] = list(await session.scalars(select(WelfareCall)))
        audited = list(
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.record_type == "WelfareCall", AuditEntry.action == "updated"
                )
            )
        )
    assert call.status == WelfareCallStatus.open
    assert call.party == WelfareCallParty.school and call.assigned_to_id == world.teacher.id
    assert len(audited) == 1 and audited[0].person_id == world.teacher.id
    [task] = [m for m in await _told(db, "welfare_call_task") if m.recipient_id == world.teacher.id]
    assert "Welfare call needed: Jamie" in task.text and placement.reference in task.text

    # Tess now sees the call to log; Pathways' staff no longer do.
    tess = prompt(await (await JsonChat.as_email(db, clock, world.teacher.email)).say("welfare"))
    assert tess["field"] == "call" and placement.reference in tess["choices"][0]["label"]
    provider = await JsonChat.as_email(db, clock, world.provider_staff.email)
    assert placement.reference not in " ".join(texts(await provider.say("welfare")))


async def test_back_and_cancel_save_nothing(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    await chat.say(f"change {placement.reference}")
    await chat.say("planned end")
    await chat.say("12/02/2027")
    # Back from why: the date again, then a different one.
    assert prompt(await chat.say("back"))["field"] == "planned_end_date"
    await chat.say("19/02/2027")
    confirm = prompt(await chat.say("Extended."))
    assert "Now: 19/02/2027" in confirm["text"]
    out = await chat.say("cancel")
    assert out[-1]["type"] != "prompt"
    assert await _changes(db, placement) == []
    assert (await _stored(db, placement)).planned_end_date == dt.date(2027, 1, 11)
    assert await _told(db) == []


async def test_an_ended_placement_and_other_peoples_placements_cannot_be_changed(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    for person in (world.other_teacher, world.other_dsl, world.provider_staff, world.admin):
        out = await JsonChat(db, clock, person).say(f"change {placement.reference}")
        assert out[-1]["type"] == "error", person.email
        assert "Jamie" not in texts(out)
    # The LA officer oversees the school's placement but does not commission it.
    out = await JsonChat(db, clock, world.la_officer).say(f"change {placement.reference}")
    assert out[-1]["type"] == "error"

    async with db.sessions() as session, session.begin():
        stored = await session.get(Placement, placement.id)
        assert stored is not None
        await end_placement(
            session,
            Change(person_id=world.teacher.id, channel="test", at=clock.now()),
            stored,
            ended_on=dt.date(2026, 11, 27),
            outcome="moved_away",
            return_date=None,
            reintegration_notes=None,
        )
    out = await JsonChat(db, clock, world.teacher).say(f"change {placement.reference}")
    assert out[-1]["type"] == "error"
    assert "has ended, so it can't be changed" in out[-1]["text"]


async def test_an_la_officer_changes_the_las_own_placement(db, clock) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.la_officer,
            pupil=world.other_pupil,
            provider=world.provider,
            start=dt.date(2026, 11, 2),
        )
    chat = JsonChat(db, clock, world.la_officer)
    await chat.say(f"change {placement.reference}")
    await chat.say("planned end")
    await chat.say("12/02/2027")
    await chat.say("Panel agreed a longer placement.")
    done = (await chat.say("yes"))[-1]
    assert done["type"] == "done" and done["record"]["what"] == "planned_end"
    assert (await JsonChat(db, clock, world.teacher).say(f"change {placement.reference}"))[-1][
        "type"
    ] == "error"
