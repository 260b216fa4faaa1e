"""What the bot puts on the wire to the Bot Framework connector, field by field: a reply in a
personal chat (text, a card), an answered card replaced, a reply in a team channel's thread
and a proactive notice. The bodies are pinned to what botbuilder's connector client (msrest)
sent for the same turns, before replies were posted as plain JSON (docs/performance.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.channels.teams.deliverer import TeamsDeliverer
from bot.channels.teams.routes import TEAMS
from bot.delivery import Notice, NoticeButton, Recipient
from storage.models import ConversationRef
from storage.services.audit import Change
from storage.services.shared_channels import link_channel
from tests.fakes.bot_connector import ADAPTIVE_CARD
from tests.support.factories import build_world, place
from tests.support.teams import BOT, Chat, TeamsUser, fill, last_card

CHANNEL_ID = "19:provider@thread.tacv2"


def _envelope(body: dict[str, Any] | None) -> dict[str, Any]:
    """A body without its content (texts and cards are pinned by other tests)."""
    assert body is not None
    kept = {k: v for k, v in body.items() if k not in ("text", "attachments")}
    kept["attachments"] = [[*sorted(a), a["contentType"]] for a in body.get("attachments") or []]
    return kept


async def test_replies_carry_the_fields_teams_needs(db, clock, client, connector) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        await place(
            session, clock, by=world.teacher, pupil=world.pupil, provider=world.provider,
            start=clock.now().date(),
        )  # fmt: skip
    connector.add_member("29:tess", email=world.provider_staff.email, aad_object_id="aad-tess")
    tess = TeamsUser(client, connector, "29:tess", "aad-tess", name="Tess")
    chat = Chat.personal("tess")
    mine = {"id": "29:tess", "name": "Tess", "aadObjectId": "aad-tess"}
    personal = {"id": "a:personal-tess", "conversationType": "personal"}
    said = tess.activity(chat, text="help", id="incoming-help")
    assert await tess.post(said) == 202
    [call] = [c for c in connector.sent if c.method == "POST"]
    assert (call.path, call.authorization) == (
        "/v3/conversations/a:personal-tess/activities/incoming-help",
        None,  # the local trial has no app id, so no token
    )
    assert _envelope(call.body) == {
        "type": "message",
        "textFormat": "markdown",
        "inputHint": "acceptingInput",
        "serviceUrl": connector.url,
        "channelId": "msteams",
        "locale": "en-GB",
        "from": BOT,
        "recipient": mine,
        "conversation": personal,
        "replyToId": "incoming-help",
        "attachments": [],
    }
    assert call.body is not None and "Here is what you can do" in call.body["text"]
    # The reference kept for messaging them later: as botbuilder wrote it, with Teams' tenant.
    async with db.sessions() as session:
        [kept] = (await session.scalars(select(ConversationRef))).all()
    assert kept.reference == {
        "user": mine,
        "bot": BOT,
        "conversation": {**personal, "tenantId": "tenant-1"},
        "channelId": "msteams",
        "locale": "en-GB",
        "serviceUrl": connector.url,
    }

    # A question comes as a card; answering it on the card replaces the card (PUT).
    connector.clear()
    assert await tess.post(tess.activity(chat, text="absent", id="incoming-absent")) == 202
    *_, call = [c for c in connector.sent if c.method == "POST"]
    assert call.path == "/v3/conversations/a:personal-tess/activities/incoming-absent"
    assert _envelope(call.body) == {
        "type": "message",
        "inputHint": "acceptingInput",
        "serviceUrl": connector.url,
        "channelId": "msteams",
        "locale": "en-GB",
        "from": BOT,
        "recipient": mine,
        "conversation": personal,
        "replyToId": "incoming-absent",
        "attachments": [["content", "contentType", ADAPTIVE_CARD]],
    }
    card_id = call.created_id
    card = last_card([call.body])
    connector.clear()
    pressed = tess.activity(chat, value=fill(card, "1"), replyToId=card_id, id="incoming-press")
    assert await tess.post(pressed) == 202
    [put] = connector.updates()
    assert put.path == f"/v3/conversations/a:personal-tess/activities/{card_id}"
    assert _envelope(put.body) == {
        "type": "message",
        "id": card_id,
        "serviceUrl": connector.url,
        "channelId": "msteams",
        "locale": "en-GB",
        "from": BOT,
        "recipient": mine,
        "conversation": personal,
        "replyToId": "incoming-press",
        "attachments": [["content", "contentType", ADAPTIVE_CARD]],
    }
    [reply] = [c for c in connector.sent if c.method == "POST"]
    assert reply.path == "/v3/conversations/a:personal-tess/activities/incoming-press"

    # A proactive notice: a new message (no replyToId), naming its tenant.
    connector.clear()
    teams = client.app[TEAMS]
    notice = Notice(
        outbox_id=7,
        key="test:7",
        kind="check_overdue",
        text="Letter of Assurance is overdue.",
        recipient=Recipient(person_id=world.provider_staff.id),
        buttons=[NoticeButton(action="done", label="Done", value="check:1")],
    )
    await TeamsDeliverer(teams.adapter, teams.sessions).send(notice)
    [call] = connector.sent
    assert call.path == "/v3/conversations/a:personal-tess/activities"
    assert _envelope(call.body) == {
        "type": "message",
        "inputHint": "acceptingInput",
        "serviceUrl": connector.url,
        "channelId": "msteams",
        "from": BOT,
        "recipient": mine,
        "conversation": {**personal, "tenantID": "tenant-1"},
        "channelData": {"tenant": {"id": "tenant-1"}},
        "attachments": [["content", "contentType", ADAPTIVE_CARD]],
    }


async def test_a_reply_in_a_team_channel_goes_into_its_thread(db, clock, client, connector) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        await link_channel(
            session,
            Change(person_id=None, channel="test", at=clock.now()),
            platform="teams",
            external_id=CHANNEL_ID,
            organisation=world.provider,
        )
    connector.add_member("29:pat", email=world.provider_staff.email, aad_object_id="aad-pat")
    pat = TeamsUser(client, connector, "29:pat", "aad-pat", name="Pat")
    chat = Chat.team_channel(CHANNEL_ID, "team-1", thread="1700000000000")
    said = pat.activity(
        chat,
        id="incoming-channel",
        text=f"<at>{BOT['name']}</at> help",
        entities=[{"type": "mention", "text": f"<at>{BOT['name']}</at>", "mentioned": BOT}],
    )
    assert await pat.post(said) == 202
    [call] = [c for c in connector.sent if c.method == "POST"]
    thread = f"{CHANNEL_ID};messageid=1700000000000"
    assert call.path == f"/v3/conversations/{thread}/activities/incoming-channel"
    assert _envelope(call.body) == {
        "type": "message",
        "textFormat": "markdown",
        "inputHint": "acceptingInput",
        "serviceUrl": connector.url,
        "channelId": "msteams",
        "locale": "en-GB",
        "from": BOT,
        "recipient": {"id": "29:pat", "name": "Pat", "aadObjectId": "aad-pat"},
        "conversation": {"id": thread, "conversationType": "channel", "isGroup": True},
        "replyToId": "incoming-channel",
        "attachments": [],
    }
    assert call.body is not None and "Here is what you can do" in call.body["text"]
    async with db.sessions() as session:
        [kept] = (await session.scalars(select(ConversationRef))).all()
    assert kept.reference == {  # the channel's, for notices: a new post, not in this thread
        "user": {"id": "29:pat", "name": "Pat", "aadObjectId": "aad-pat"},
        "bot": BOT,
        "conversation": {
            "id": CHANNEL_ID,
            "conversationType": "channel",
            "isGroup": True,
            "tenantId": "tenant-1",
        },
        "channelId": "msteams",
        "locale": "en-GB",
        "serviceUrl": connector.url,
        "activityId": None,
    }
