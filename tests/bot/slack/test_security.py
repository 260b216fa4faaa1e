"""Signed requests only; retries and double clicks store one record; strangers get the access
message and nothing else; typed text never pings."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from bot.channels.slack import blocks
from bot.channels.slack.actions import read_answer
from dialogs import wording
from storage.models import AttendanceRecord, ChatChannel, DialogState, Person
from tests.support.factories import build_world, place
from tests.support.slack import SlackWorkspace

TEACHER = "UTEACHER"
PROVIDER = "UPROVIDER"


async def _people(db, clock, workspace: SlackWorkspace):
    world = await build_world(db, clock)
    workspace.api.add_user(TEACHER, email=world.teacher.email.upper(), name="Tess")
    workspace.api.add_user(PROVIDER, email=world.provider_staff.email, name="Pat")
    return world


async def test_forged_signature_and_stale_timestamp_get_401(db, clock, workspace) -> None:
    await _people(db, clock, workspace)
    body = workspace.event_body(
        {
            "type": "message",
            "channel_type": "im",
            "channel": f"D{TEACHER}",
            "user": TEACHER,
            "text": "help",
        }
    )
    forged = {"X-Slack-Signature": "v0=" + "0" * 64}
    assert await workspace.post(body, "application/json", headers=forged) == 401
    stale = workspace.sign(body, timestamp=int(time.time()) - 6 * 60)
    assert await workspace.post(body, "application/json", headers=stale) == 401
    # Signed with someone else's secret.
    workspace.secret = "not-our-secret"
    assert await workspace.post(body, "application/json") == 401
    assert workspace.api.calls_to("chat.postMessage") == []
    # And the real thing works.
    workspace.secret = "test-signing-secret"
    assert await workspace.post(body, "application/json") == 200
    assert "Here is what you can do" in workspace.last(user=TEACHER).words


async def test_a_retried_event_is_handled_once(db, clock, workspace) -> None:
    world = await _people(db, clock, workspace)
    async with db.sessions() as session, session.begin():
        await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=clock.now().date(),
        )
    await workspace.dm(PROVIDER, "present today", event_id="EvPRESENT1")
    before = len(workspace.posted(user=PROVIDER))
    # Slack did not hear our ack in time and sends the same event again, then again.
    assert await workspace.dm(PROVIDER, "present today", event_id="EvPRESENT1", retry=1) == 200
    assert await workspace.dm(PROVIDER, "present today", event_id="EvPRESENT1", retry=2) == 200
    assert len(workspace.posted(user=PROVIDER)) == before
    confirm = workspace.last(user=PROVIDER)
    assert confirm.field == "confirm"
    # "yes" retried: the register is confirmed once, and the retry does not start anything.
    await workspace.dm(PROVIDER, "yes", event_id="EvYES1")
    await workspace.dm(PROVIDER, "yes", event_id="EvYES1", retry=1)
    async with db.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(AttendanceRecord))
        assert count == 2  # AM and PM, once
    assert "Register confirmed" in workspace.last(user=PROVIDER).words


async def test_a_double_click_stores_one_record(db, clock, workspace) -> None:
    world = await _people(db, clock, workspace)
    async with db.sessions() as session, session.begin():
        await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=clock.now().date(),
        )
    await workspace.command(PROVIDER, "present today")
    confirm = workspace.last(user=PROVIDER)
    assert confirm.field == "confirm"
    assert await workspace.click(PROVIDER, confirm, "Save") == 200
    assert await workspace.click(PROVIDER, confirm, "Save") == 200
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AttendanceRecord)) == 2
        assert await session.scalar(select(func.count()).select_from(DialogState)) == 0
    # The clicked message now shows the answer, with no buttons left.
    update = workspace.updates()[-1]
    assert update.args["ts"] == confirm.ts
    assert all(b["type"] != "actions" for b in update.args["blocks"])
    assert "Answered: Save" in str(update.args["blocks"])
    # A click on the old message after a restart of the dedupe memory is still refused by the
    # runner (the question was answered): a new dialog is not started, nothing saved twice.
    await workspace.act(
        PROVIDER,
        confirm,
        {
            "type": "button",
            "block_id": confirm.prompt_id,
            "action_id": "prompt_word_save2",
            "value": "yes",
            "text": {"type": "plain_text", "text": "Save"},
        },
    )
    assert wording.ALREADY_ANSWERED in workspace.last(user=PROVIDER).words
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AttendanceRecord)) == 2


async def test_unknown_user_gets_the_access_message_only(db, clock, workspace) -> None:
    await _people(db, clock, workspace)
    workspace.api.add_user("USTRANGER", email="someone@elsewhere.test")
    workspace.api.add_user("UNOEMAIL", email=None)
    await workspace.dm("USTRANGER", "status")
    assert workspace.last(user="USTRANGER").words == wording.NO_ACCESS
    await workspace.command("UNOEMAIL", "start")
    reply = workspace.responses()[-1]
    assert reply.args["text"] == wording.NO_ACCESS
    assert reply.args.get("response_type") == "ephemeral"
    # Nothing else was said to them, and nothing was stored about them.
    said = [
        c
        for c in workspace.api.calls
        if c.method in ("chat.postMessage", "chat.postEphemeral", "response_url")
    ]
    assert len(said) == 2
    async with db.sessions() as session:
        linked = await session.scalar(
            select(func.count()).select_from(Person).where(Person.slack_user_id.is_not(None))
        )
        assert linked == 0
        assert await session.scalar(select(func.count()).select_from(DialogState)) == 0
        assert await session.scalar(select(func.count()).select_from(ChatChannel)) == 0


async def test_typed_text_is_escaped_and_never_pings(db, clock, workspace) -> None:
    world = await _people(db, clock, workspace)
    async with db.sessions() as session, session.begin():
        await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=clock.now().date(),
        )
    await workspace.dm(TEACHER, "<!channel> & <@U999> <https://evil.example|click>")
    reply = workspace.last(user=TEACHER)
    shown = reply.words + reply.text
    assert "<!channel>" not in shown and "<@U999>" not in shown and "<https://" not in shown
    assert "&lt;!channel&gt;" in shown
    # A reason typed with a broadcast, a mention and `&<>` (Slack sends them as entities).
    typed = "&lt;!channel&gt; Mum said &amp; &lt;@U999&gt; knows &lt;3"
    for line in ("absent", "1", "today", "both", typed):
        await workspace.dm(TEACHER, line)
    summary = workspace.last(user=TEACHER)
    assert summary.field == "code"
    await workspace.click(TEACHER, summary, "Use N")
    confirm = workspace.last(user=TEACHER)
    assert confirm.field == "confirm"
    everything = str([c.args for c in workspace.api.calls])
    assert "<!channel>" not in everything and "<@U999>" not in everything
    assert "&lt;!channel&gt; Mum said &amp; &lt;@U999&gt; knows &lt;3" in confirm.words
    assert "&amp;lt;" not in confirm.words  # escaped once, not twice
    await workspace.click(TEACHER, confirm, "Save")
    async with db.sessions() as session:
        record = await session.scalar(select(AttendanceRecord))
        assert record is not None
        assert record.reason == "<!channel> Mum said & <@U999> knows <3"


def test_a_click_whose_labels_are_not_text_objects_is_read_not_an_error() -> None:
    """Found by tests/properties/test_slack_input.py: a select whose option's `text` was a list
    (or whose option was not an object) made the turn fail with an error logged."""
    for option in ({"value": "I", "text": ["I"]}, ["I"], None):
        action = {"action_id": blocks.SELECT, "block_id": "1.2.code", "selected_option": option}
        incoming, shown = read_answer({"actions": [action]})
        assert incoming.prompt_id == "1.2.code" and shown == ""
        assert incoming.value == ("I" if isinstance(option, dict) else "")
    button = {"action_id": blocks.CHOICE, "block_id": "1.2.code", "value": "I", "text": [1]}
    assert read_answer({"actions": [button]})[1] == ""
