"""Proactive messages: a conversation reference stored from Teams (serviceUrl included) is how a
notice reaches a person later; 429/412/502/504 are retried honouring Retry-After; a nudge's
buttons act on it."""

from __future__ import annotations

from sqlalchemy import select

from bot.channels.teams.deliverer import TeamsDeliverer, send_proactive
from bot.channels.teams.references import NoReference
from bot.channels.teams.routes import TEAMS
from bot.delivery import DeliveryFailed, Notice, NoticeButton, Recipient
from storage.models import ConversationRef, OutboxMessage
from storage.services.outbox import enqueue
from tests.support.factories import build_world
from tests.support.teams import BOT, Chat, TeamsUser, action, text_of


def _notice(
    outbox_id: int, person_id: int, text: str = "Letter of Assurance is overdue."
) -> Notice:
    return Notice(
        outbox_id=outbox_id,
        key=f"test:{outbox_id}",
        kind="check_overdue",
        text=text,
        recipient=Recipient(person_id=person_id),
        buttons=[
            NoticeButton(action="done", label="Done", value="check:1"),
            NoticeButton(action="open", label="Open", value="check:1"),
        ],
    )


async def _tess_says_hello(db, clock, client, connector):
    world = await build_world(db, clock)
    connector.add_member("29:tess", email="teacher@elmpark.test", aad_object_id="aad-tess")
    tess = TeamsUser(client, connector, "29:tess", "aad-tess")
    await tess.say("help", Chat.personal("tess"))
    connector.clear()
    return world, tess


async def test_a_proactive_message_reaches_a_stored_conversation(
    db, clock, client, connector
) -> None:
    world, _ = await _tess_says_hello(db, clock, client, connector)
    async with db.sessions() as session:
        ref = await session.scalar(select(ConversationRef))
    assert (
        ref is not None and ref.platform == "teams" and ref.target == f"person:{world.teacher.id}"
    )
    assert ref.conversation_id == "a:personal-tess"
    assert ref.reference["serviceUrl"] == connector.url and ref.reference["bot"] == BOT

    teams = client.app[TEAMS]
    deliverer = TeamsDeliverer(teams.adapter, teams.sessions)
    assert await deliverer.can_reach(Recipient(person_id=world.teacher.id))
    assert not await deliverer.can_reach(Recipient(person_id=world.dsl.id))  # never talked to us
    await deliverer.send(_notice(7, world.teacher.id))
    [call] = connector.sent
    assert call.method == "POST" and call.path == "/v3/conversations/a:personal-tess/activities"
    card = call.body["attachments"][0]["content"]  # type: ignore[index]
    assert card["body"][0]["text"] == "Letter of Assurance is overdue."
    assert action(card, "Done")["data"] == {
        "nudge": "done",
        "outbox_id": 7,
        "value": "check:1",
        "question": "Letter of Assurance is overdue.",
    }
    # The helper sends plain messages the same way; nobody stored means nothing sent.
    await send_proactive(
        teams.adapter,
        teams.sessions,
        Recipient(person_id=world.teacher.id),
        [{"type": "message", "text": "Hello"}],
    )
    assert connector.texts() == ["Hello"]
    try:
        await send_proactive(teams.adapter, teams.sessions, Recipient(person_id=world.dsl.id), [])
    except NoReference:
        pass
    else:  # pragma: no cover
        raise AssertionError("sent without a reference")
    try:
        await deliverer.send(_notice(8, world.dsl.id))
    except DeliveryFailed as failed:
        assert failed.permanent
    else:  # pragma: no cover
        raise AssertionError("delivered without a reference")


async def test_throttled_sends_are_retried_after_the_wait_asked(
    db, clock, client, connector, waits
) -> None:
    world, _ = await _tess_says_hello(db, clock, client, connector)
    teams = client.app[TEAMS]
    deliverer = TeamsDeliverer(teams.adapter, teams.sessions)
    connector.fail_next(1, status=429, retry_after=3)
    connector.fail_next(1, status=502)
    connector.fail_next(1, status=412)
    await deliverer.send(_notice(7, world.teacher.id, text="Once only"))
    assert [c.status for c in connector.sent] == [429, 502, 412, 200]
    assert waits.seconds == [3, 2, 4]  # Retry-After honoured, then backoff
    assert connector.texts() == [] and len(connector.cards()) == 1

    # Still throttled after every attempt: the scheduler is told, with the wait asked for.
    connector.clear()
    connector.fail_next(4, status=429, retry_after=1)
    try:
        await deliverer.send(_notice(8, world.teacher.id))
    except DeliveryFailed as failed:
        assert failed.retry_after == 1 and not failed.permanent
    else:  # pragma: no cover
        raise AssertionError("no failure reported")
    assert len(connector.sent) == 4 and connector.delivered() == []

    # A refusal that retrying won't fix is not retried.
    connector.clear()
    connector.fail_next(1, status=403)
    try:
        await deliverer.send(_notice(9, world.teacher.id))
    except DeliveryFailed as failed:
        assert failed.permanent
    assert len(connector.sent) == 1


async def test_replies_in_a_turn_are_retried_too(db, clock, client, connector, waits) -> None:
    await build_world(db, clock)
    connector.add_member("29:tess", email="teacher@elmpark.test", aad_object_id="aad-tess")
    tess = TeamsUser(client, connector, "29:tess", "aad-tess")
    connector.fail_next(2, status=504)
    said = await tess.say("help", Chat.personal("tess"))
    assert len(said) == 1 and "Here is what you can do" in text_of(said)
    assert waits.seconds == [1, 2]


async def test_a_nudge_button_acts_on_the_nudge(db, clock, client, connector) -> None:
    world, tess = await _tess_says_hello(db, clock, client, connector)
    async with db.sessions() as session, session.begin():
        await enqueue(
            session,
            key="nudge:test",
            kind="check_overdue",
            text="Have a look at your checks.",
            due_at=clock.now(),
            recipient_id=world.teacher.id,
            payload={"subject": "", "open": "status", "snoozable": False},
        )
        outbox_id = await session.scalar(select(OutboxMessage.id))
    teams = client.app[TEAMS]
    await TeamsDeliverer(teams.adapter, teams.sessions).send(
        _notice(outbox_id, world.teacher.id, text="Have a look at your checks.")
    )
    card_id, card = connector.last_card()
    said = await tess.submit(Chat.personal("tess"), action(card, "Open")["data"], card_id=card_id)
    assert "status" in text_of(said).lower()
    [closed] = connector.updates()
    assert (
        closed.activity_id == card_id and "actions" not in closed.body["attachments"][0]["content"]
    )  # type: ignore[index]
