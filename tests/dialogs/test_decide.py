"""A concern makes someone decide: a teacher's concern reaches the DSL at once, a serious one
opens "review this placement now" for the DSL, and `decide` records the decision in the
chronology. Driven through the `--json` terminal channel."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from storage import invariants
from storage.models import (
    AuditEntry,
    ChronologyEntry,
    ChronologyKind,
    ConcernReview,
    ConcernSeverity,
    OutboxMessage,
    ReviewDecision,
)
from tests.support.chat import JsonChat, prompt
from tests.support.world import jamie_at_pathways

DISCLOSURE = "Jamie said his uncle hits him when he is late home."


async def _teacher_logs_disclosure(db, clock, world, reference: str) -> dict:
    teacher = await JsonChat.as_email(db, clock, world.teacher.email)
    # A teacher logs concerns only: no "what kind of entry", no sharing with the provider (an
    # unexpected question fails `answer_all`).
    done = await teacher.answer_all(
        {"severity": "disclosure", "entry_date": "", "text": DISCLOSURE, "confirm": "yes"},
        start=f"concern {reference}",
    )
    assert next(o["field"] for o in teacher.transcript if o["type"] == "prompt") == "severity"
    return done[-1]


async def test_a_teachers_serious_concern_asks_the_dsl_to_decide(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    ref = placement.reference
    done = await _teacher_logs_disclosure(db, clock, world, ref)
    assert done["type"] == "done" and done["dialog"] == "concern"
    assert "designated safeguarding lead" in done["text"] and "review the placement" in done["text"]
    assert done["record"]["review_id"] is not None
    async with db.sessions() as session:
        entry = await session.scalar(select(ChronologyEntry))
        assert entry is not None and entry.kind == ChronologyKind.concern
        assert entry.recorded_by_id == world.teacher.id and entry.shared_with == []
        review = await session.scalar(select(ConcernReview))
        assert review is not None and review.is_open
        assert review.severity == ConcernSeverity.disclosure
        assert review.chronology_entry_id == entry.id and review.raised_by_id == world.teacher.id
        sent = {
            m.kind: m
            for m in await session.scalars(
                select(OutboxMessage).where(OutboxMessage.recipient_id == world.dsl.id)
            )
        }
        # The concern itself, in a direct message to the DSL...
        assert DISCLOSURE in sent["chronology_update"].text
        # ...and the decision, naming the kind of concern but not its words.
        urgent = sent["review_now"].text
        assert "URGENT" in urgent and f"decide {ref}" in urgent and "disclosure" in urgent
        assert "uncle" not in urgent
        # Nothing goes to the provider: the school has not shared it.
        to_provider = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient_id == world.provider_staff.id)
        )
        assert [m.kind for m in to_provider] == ["placement_started"]

    dsl = await JsonChat.as_email(db, clock, world.dsl.email)
    status = (await dsl.say("status"))[-1]["text"]
    assert f"DECIDE NOW: serious concern for {ref}" in status
    # The DSL decides: wrong answers first, then back, then continue with actions.
    out = await dsl.say("decide")
    assert [c["value"] for c in prompt(out)["choices"]] == [ref]  # only placements waiting
    out = await dsl.say("1")
    assert "a disclosure" in prompt(out)["text"]
    out = await dsl.say("carry on regardless")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "decision"
    await dsl.say("continue_with_actions")
    await dsl.say("Strategy meeting with social care; daily check-in at the provider.")
    out = await dsl.say("back")
    assert prompt(out)["field"] == "actions"
    await dsl.say("Strategy meeting with social care; daily check-in at the provider.")
    await dsl.say("Dee Lead and the Pathways DSL")
    out = await dsl.say("01/11/2026")
    assert out[0]["type"] == "error" and prompt(out)["field"] == "action_due"
    out = await dsl.say("04/12/2026")
    assert prompt(out)["field"] == "confirm" and "continue, with actions" in prompt(out)["text"]
    done = (await dsl.say("yes"))[-1]
    assert done["type"] == "done" and done["record"]["decision"] == "continue_with_actions"
    async with db.sessions() as session:
        review = await session.scalar(select(ConcernReview))
        assert review is not None and not review.is_open
        assert review.decision == ReviewDecision.continue_with_actions
        assert review.decided_by_id == world.dsl.id
        assert review.action_due == dt.date(2026, 12, 4)
        decision = await session.get(ChronologyEntry, review.decision_entry_id)
        assert decision is not None and decision.kind == ChronologyKind.action
        assert "continue, with actions" in decision.text and "04/12/2026" in decision.text
        assert decision.shared_with == []  # the provider sees it only if the DSL shares it
        audited = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.record_type == "ConcernReview", AuditEntry.action == "updated"
            )
        )
        assert audited is not None and audited.person_id == world.dsl.id
    assert "DECIDE NOW" not in (await dsl.say("status"))[-1]["text"]
    nothing = (await dsl.say("decide"))[-1]
    assert "No serious concern is waiting" in nothing["text"]


async def test_ending_or_suspending_is_recorded_and_hands_over(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    ref = placement.reference
    await _teacher_logs_disclosure(db, clock, world, ref)
    dsl = await JsonChat.as_email(db, clock, world.dsl.email)
    out = await dsl.answer_all(
        {"decision": "end", "actions": "Setting cannot keep him safe.", "confirm": "yes"},
        start=f"decide {ref}",
    )
    assert f"end {ref}" in out[-1]["text"]
    # A second serious concern (the DSL's own), then suspension.
    await dsl.answer_all(
        {
            "kind": "concern",
            "severity": "unsafe_setting",
            "entry_date": "",
            "text": "No staff on site at 10:00.",
            "share_with_provider": "no",
            "confirm": "yes",
        },
        start=f"concern {ref}",
    )
    out = await dsl.answer_all(
        {"decision": "suspend", "actions": "Taught at school until we visit.", "confirm": "yes"},
        start=f"decide {ref}",
    )
    assert "suspend" in out[-1]["text"]
    async with db.sessions() as session:
        decisions = [r.decision for r in await session.scalars(select(ConcernReview))]
        assert decisions == [ReviewDecision.end, ReviewDecision.suspend]
        # The DSL who logged it is not sent their own concern; the decision prompt still goes.
        own = await session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.recipient_id == world.dsl.id)
        )
        about_concerns = sorted(kind for kind in own if kind != "placement_started")
        assert about_concerns == ["chronology_update", "review_now", "review_now"]
        # Each decision on the record (invariant `concern_decisions_recorded`)...
        assert await invariants.check_all(session, clock.now()) == []
        # ...which a decision without its chronology entry breaks.
        await session.execute(update(ConcernReview).values(decision_entry_id=None))
        [broken, _] = await invariants.check_all(session, clock.now())
        assert broken.invariant == "concern_decisions_recorded"


async def test_need_to_know_for_decide(db, clock) -> None:
    world, placement = await jamie_at_pathways(db, clock)
    ref = placement.reference
    await _teacher_logs_disclosure(db, clock, world, ref)
    for person in (world.teacher, world.provider_staff, world.la_officer):
        chat = await JsonChat.as_email(db, clock, person.email)
        refused = (await chat.say(f"decide {ref}"))[-1]
        assert refused["type"] == "error" and "uncle" not in refused["text"], person.email
    for person in (world.other_dsl, world.other_teacher):
        chat = await JsonChat.as_email(db, clock, person.email)
        for command in (f"decide {ref}", f"concern {ref}"):
            refused = (await chat.say(command))[-1]
            assert refused["type"] == "error", (person.email, command)
            assert "Jamie" not in refused["text"] and "uncle" not in refused["text"]
    # A provider reads neither the teacher's concern nor (later) the decision.
    dsl = await JsonChat.as_email(db, clock, world.dsl.email)
    await dsl.answer_all(
        {"decision": "suspend", "actions": "Pending a strategy meeting.", "confirm": "yes"},
        start=f"decide {ref}",
    )
    provider = await JsonChat.as_email(db, clock, world.provider_staff.email)
    read = " ".join(o.get("text", "") for o in await provider.say(f"chronology {ref}"))
    assert "uncle" not in read and "strategy meeting" not in read.lower()
