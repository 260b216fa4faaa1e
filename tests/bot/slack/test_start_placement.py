"""A teacher starts a placement in Slack by clicking and typing through the Block Kit messages;
the placement is stored exactly as the same answers store it through the terminal."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import select

from bot.channels.slack import blocks
from bot.channels.slack.manifest import METHOD_SCOPES
from storage.models import AuditEntry, ChecklistItem, OutboxMessage, Placement
from storage.services import directory
from storage.services.audit import Change
from tests.support.answers import full_time_answers
from tests.support.chat import JsonChat
from tests.support.factories import build_world
from tests.support.slack import Posted, SlackWorkspace

TEACHER = "UTEACHER"
# Placement columns that differ between two placements by design.
OWN_COLUMNS = {"id", "reference", "pupil_id", "created_at", "updated_at"}


def _option(options: list[dict[str, Any]], answer: str) -> dict[str, Any] | None:
    wanted = answer.strip().lower()
    for n, option in enumerate(options, start=1):
        if wanted in (str(n), option["value"].lower(), option["text"]["text"].lower()):
            return option
    starting = [o for o in options if o["text"]["text"].lower().startswith(wanted)]
    return starting[0] if len(starting) == 1 and len(wanted) >= 2 else None


async def answer_by_clicking(
    workspace: SlackWorkspace, message: Posted, answer: str, used: Counter[str]
) -> None:
    """Answer a question the way a person would in Slack: click what can be clicked, pick
    from pickers, and type the rest."""
    for block_id, element in message.elements():
        kind = element["type"]
        action_id = element["action_id"]
        if kind == "button" and action_id.startswith(blocks.CHOICE):
            if _option([{"text": element["text"], "value": element["value"]}], answer) or (
                answer == "" and element.get("style") == "primary"
            ):
                used["button"] += 1
                await workspace.act(TEACHER, message, {"block_id": block_id, **element})
                return
        if kind == "button" and action_id.startswith(blocks.WORD):
            if answer.lower() in (element["value"].lower(), "") or (
                answer == "yes" and element["value"] == "yes"
            ):
                used["word"] += 1
                await workspace.act(TEACHER, message, {"block_id": block_id, **element})
                return
        if kind == "static_select" and (option := _option(element["options"], answer)):
            used["select"] += 1
            action = {"type": kind, "block_id": block_id, "action_id": action_id}
            await workspace.act(TEACHER, message, {**action, "selected_option": option})
            return
        if kind == "datepicker" and answer:
            day = dt.datetime.strptime(answer, "%d/%m/%Y").date().isoformat()
            used["datepicker"] += 1
            action = {"type": kind, "block_id": block_id, "action_id": action_id}
            await workspace.act(TEACHER, message, {**action, "selected_date": day})
            return
        if kind in ("checkboxes", "multi_static_select") and answer:
            picked = [_option(element["options"], part) for part in answer.split(",")]
            if all(picked):
                used["checkboxes"] += 1
                state = {block_id: {action_id: {"type": kind, "selected_options": picked}}}
                submit = next(e for b, e in message.elements() if e["action_id"] == blocks.SUBMIT)
                await workspace.act(TEACHER, message, {"block_id": block_id, **submit}, state=state)
                return
    used["typed"] += 1
    await workspace.dm(TEACHER, answer)


async def test_teacher_completes_start_placement_in_slack(db, clock, workspace) -> None:
    world = await build_world(db, clock)
    change = Change(person_id=None, channel="test", at=clock.now())
    async with db.sessions() as session, session.begin():
        twin = await directory.add_pupil(
            session,
            change,
            home_org_id=world.school.id,
            first_name="Jordan",
            last_name="Twin",
            year_group=9,
        )
    workspace.api.add_user(TEACHER, email=world.teacher.email)

    # Through the terminal, for the pupil's twin: the reference to compare with.
    chat = await JsonChat.as_email(db, clock, world.teacher.email)
    terminal_done = (
        await chat.answer_all(full_time_answers(twin.id, world.provider.id), start="start")
    )[-1]
    assert terminal_done["type"] == "done"

    # Through Slack: /ap start, then click and type through every question.
    answers = full_time_answers(world.pupil.id, world.provider.id)
    assert await workspace.command(TEACHER, "start") == 200
    used: Counter[str] = Counter()
    for _ in range(80):
        message = workspace.last(user=TEACHER)
        if message.field is None:
            break
        assert "✗" not in message.words, message.words
        await answer_by_clicking(workspace, message, answers[message.field], used)
    done = workspace.last(user=TEACHER)
    assert done.field is None and "Saved" in done.words, done.words
    # Every way of answering was used: buttons, a date picker, checkboxes, typing.
    assert {"button", "datepicker", "checkboxes", "typed", "word"} <= set(used), used

    async with db.sessions() as session:
        slack_placement = await session.scalar(
            select(Placement).where(Placement.pupil_id == world.pupil.id)
        )
        terminal_placement = await session.scalar(
            select(Placement).where(Placement.reference == terminal_done["record"]["reference"])
        )
        assert slack_placement is not None and terminal_placement is not None
        assert slack_placement.reference in done.words

        def columns(placement: Placement) -> dict[str, Any]:
            return {
                c.key: getattr(placement, c.key)
                for c in Placement.__mapper__.column_attrs
                if c.key not in OWN_COLUMNS
            }

        assert columns(slack_placement) == columns(terminal_placement)

        async def checklist(placement: Placement) -> list[tuple[Any, ...]]:
            rows = await session.scalars(
                select(ChecklistItem)
                .where(ChecklistItem.placement_id == placement.id)
                .order_by(ChecklistItem.key)
            )
            return [
                (i.key, i.status, i.due_date, i.evidence, i.na_reason, i.owner_id) for i in rows
            ]

        assert await checklist(slack_placement) == await checklist(terminal_placement)
        audit = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.placement_id == slack_placement.id)
            )
        )
        assert audit and all(a.channel == "slack" for a in audit)
        notices = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.placement_id == slack_placement.id)
            )
        )
        assert {n.recipient_id for n in notices} == {world.provider_staff.id, world.dsl.id}

    # No message in the DM still has buttons that count: each answered one was updated.
    updated = {c.args["ts"] for c in workspace.updates()}
    asked = [p for p in workspace.posted(user=TEACHER) if p.field is not None]
    assert {p.ts for p in asked} <= updated
    for call in workspace.updates():
        assert all(b["type"] not in ("actions", "input") for b in call.args["blocks"])
    # Every Web API method used needs only the scopes in the manifest.
    assert set(workspace.api.methods()) <= set(METHOD_SCOPES) | {"response_url"}
