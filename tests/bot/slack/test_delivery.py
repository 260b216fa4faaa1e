"""`SlackDeliverer`: notices to a DM or a shared channel, 429s retried after Retry-After, and
the nudge buttons (Done / Snooze / Open) acting on exactly their outbox message."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.channels.slack.delivery import SlackDeliverer
from bot.delivery import DeliveryFailed, Notice, NoticeButton, Recipient
from storage.models import ChecklistItem, ChecklistStatus, OutboxMessage
from storage.services.outbox import enqueue
from tests.support.factories import build_world, place
from tests.support.slack import Posted

TEACHER = "UTEACHER"
BUTTONS = [
    NoticeButton(action="done", label="Done", value="check:1"),
    NoticeButton(action="snooze_day", label="Snooze 1 day", value="check:1"),
    NoticeButton(action="snooze_week", label="Snooze 1 week", value="check:1"),
    NoticeButton(action="open", label="Open", value="check:1"),
]


def notice(text: str, recipient: Recipient, outbox_id: int = 1) -> Notice:
    return Notice(
        outbox_id=outbox_id, key=f"k{outbox_id}", kind="nudge", text=text, recipient=recipient
    )


async def test_delivers_to_a_person_and_a_channel_and_escapes(workspace) -> None:
    deliverer = SlackDeliverer(workspace.slack.client)
    person = Recipient(person_id=1, slack_user_id="U1")
    channel = Recipient(channel_platform="slack", channel_external_id="CSHARED")
    assert await deliverer.can_reach(person) and await deliverer.can_reach(channel)
    assert not await deliverer.can_reach(Recipient(person_id=2, teams_aad_object_id="x"))
    assert not await deliverer.can_reach(
        Recipient(channel_platform="teams", channel_external_id="19:x")
    )
    await deliverer.send(notice("Hello <!channel> & co", person))
    await deliverer.send(notice("AP-7K3Q: absence recorded", channel))
    sent = workspace.api.calls_to("chat.postMessage")
    assert [c.args["channel"] for c in sent] == ["U1", "CSHARED"]
    assert "&lt;!channel&gt; &amp; co" in sent[0].args["text"]
    assert "<!channel>" not in str(sent[0].args)


async def test_429_is_retried_after_retry_after_then_reported(workspace) -> None:
    deliverer = SlackDeliverer(workspace.slack.client)
    person = Recipient(person_id=1, slack_user_id="U1")
    workspace.api.rate_limit(2, retry_after=7, method="chat.postMessage")
    await deliverer.send(notice("Due today", person))
    assert workspace.slack.rate_limits.waits == [7.0, 7.0]
    assert [c.status for c in workspace.api.calls] == [429, 429, 200]
    # Still limited after the client's retries: the scheduler is told how long to wait.
    workspace.api.rate_limit(4, retry_after=30, method="chat.postMessage")  # 1 + 3 retries
    with pytest.raises(DeliveryFailed) as failed:
        await deliverer.send(notice("Due today", person, outbox_id=2))
    assert failed.value.retry_after == 30 and not failed.value.permanent
    workspace.api.fail_next("chat.postMessage", "channel_not_found")
    with pytest.raises(DeliveryFailed) as gone:
        await deliverer.send(
            notice("x", Recipient(channel_platform="slack", channel_external_id="CGONE"))
        )
    assert gone.value.permanent
    workspace.api.fail_next("chat.postMessage", "internal_error")
    with pytest.raises(DeliveryFailed) as passing:
        await deliverer.send(notice("x", person, outbox_id=3))
    assert not passing.value.permanent


async def test_nudge_buttons_act_on_their_outbox_message(db, clock, workspace) -> None:
    world = await build_world(db, clock)
    workspace.api.add_user(TEACHER, email=world.teacher.email)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=clock.now().date(),
        )
        item = await session.scalar(
            select(ChecklistItem).where(
                ChecklistItem.placement_id == placement.id,
                ChecklistItem.key == "letter_of_assurance",
            )
        )
        assert item is not None
        payload = {
            "subject": f"check:{item.id}",
            "reference": placement.reference,
            "open": f"check {placement.reference}",
            "done": "tick",
            "snoozable": True,
            "expires_at": None,
        }
        for key in ("nudge-1", "nudge-2"):
            await enqueue(
                session,
                key=key,
                kind="check_due",
                text="Letter of Assurance is due",
                due_at=clock.now(),
                recipient_id=world.teacher.id,
                placement_id=placement.id,
                payload=payload,
            )
        rows = list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.key.in_(["nudge-1", "nudge-2"]))
                .order_by(OutboxMessage.id)
            )
        )
    deliverer = SlackDeliverer(workspace.slack.client)
    me = Recipient(person_id=world.teacher.id, slack_user_id=TEACHER)
    for row in rows:
        await deliverer.send(
            Notice(
                outbox_id=row.id,
                key=row.key,
                kind=row.kind,
                text=row.text,
                recipient=me,
                buttons=BUTTONS,
            )
        )
    first, second = workspace.posted(user=TEACHER)[-2:]
    values = {e["value"] for _, e in first.elements()}
    assert values == {str(rows[0].id)}
    assert {e["action_id"] for _, e in first.elements()} == {
        "nudge_done",
        "nudge_snooze_day",
        "nudge_snooze_week",
        "nudge_open",
    }

    async def press(message: Posted, label: str) -> None:
        block_id, element = next(
            (b, e) for b, e in message.elements() if e["text"]["text"] == label
        )
        await workspace.act(TEACHER, message, {"block_id": block_id, **element})

    await press(first, "Done")
    await press(first, "Done")  # a double click does nothing more
    async with db.sessions() as session:
        ticked = await session.get(ChecklistItem, item.id)
        assert ticked is not None and ticked.status == ChecklistStatus.done
    update = workspace.updates()[-1]
    assert update.args["ts"] == first.ts and "actions" not in str(update.args["blocks"])
    assert len(workspace.updates()) == 1

    await press(second, "Open")  # starts the dialog in the DM, as if typed
    assert workspace.last(user=TEACHER).field is not None
