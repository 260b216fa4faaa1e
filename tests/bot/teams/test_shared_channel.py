"""A provider's team channel works like the Slack shared channel: commands by @mention, answers by
card, and nothing but the placement reference (or initials) posted where others can read it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.channels.teams.activities import channel_id_from
from bot.channels.teams.deliverer import TeamsDeliverer
from bot.channels.teams.routes import TEAMS
from bot.delivery import Notice, Recipient
from storage.models import AttendanceRecord, ConversationRef
from storage.services.audit import Change
from storage.services.shared_channels import link_channel
from tests.support.factories import build_world, place
from tests.support.teams import Chat, TeamsUser, as_clicked, field_of, text_of

START = dt.date(2026, 11, 2)
CHANNEL_ID = "19:3f1c0ffee0a64c4e8d2b7a5c9e1f0a2b@thread.tacv2"
TEAM_ID = "19:teamgeneral0a64c4e8d2b7a5c9e1f0a2b@thread.tacv2"


async def _set_up(db, clock, connector):
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=START,
        )
        await link_channel(
            session,
            Change(person_id=None, channel="test", at=clock.now()),
            platform="teams",
            external_id=CHANNEL_ID,
            organisation=world.provider,
            name="Pathways AP",
        )
    connector.add_member("29:pat", email="office@pathways.test", aad_object_id="aad-pat")
    return world, placement


async def test_a_provider_reports_an_absence_in_the_team_channel_by_reference_only(
    db, clock, client, connector
) -> None:
    _, placement = await _set_up(db, clock, connector)
    pat = TeamsUser(client, connector, "29:pat", "aad-pat", name="Pat Office")
    thread = Chat.team_channel(CHANNEL_ID, TEAM_ID, thread="1700000000000")
    said = await pat.say("absent", thread, mention=True)
    answers = {
        "placement": "1",
        "date": "",
        "sessions": "AM, PM",
        "reason": "Unwell, mum rang at 08:40",
        "code": "I",
        "confirm": "yes",
    }
    for _ in range(10):
        if not any(a.get("attachments") for a in said):
            break
        _, card = connector.last_card()
        said = await pat.submit(thread, as_clicked(card, answers[field_of(card)]))
    assert "✓" in text_of(said) and placement.reference in text_of(said)

    everything = text_of(connector.delivered()) + text_of([u.body for u in connector.updates()])
    for secret in ("Jamie", "Testpupil", "Unwell", "mum rang"):
        assert secret not in everything
    assert f"{placement.reference} · JT" in everything  # choices by reference and initials
    # Replies went into the thread the command was typed in.
    assert all(
        c.conversation_id == thread.conversation["id"] for c in connector.sent if c.method == "POST"
    )
    async with db.sessions() as session:
        records = list(await session.scalars(select(AttendanceRecord)))
        # I is the school's to authorise: the provider's choice is kept as a proposal.
        assert len(records) == 2 and {(r.code, r.proposed_code) for r in records} == {("N", "I")}
        ref = await session.scalar(
            select(ConversationRef).where(ConversationRef.target.like("channel:%"))
        )
    # The channel itself (not the thread) is remembered, for notices to the provider.
    assert ref is not None and ref.conversation_id == CHANNEL_ID
    assert ref.reference["conversation"]["id"] == CHANNEL_ID

    connector.clear()
    teams = client.app[TEAMS]
    notice = Notice(
        outbox_id=1,
        key="channel:test",
        kind="placement_started",
        text=f"New placement {placement.reference} starts Monday.",
        recipient=Recipient(channel_platform="teams", channel_external_id=CHANNEL_ID),
    )
    await TeamsDeliverer(teams.adapter, teams.sessions).send(notice)
    [call] = connector.sent
    assert call.path == f"/v3/conversations/{CHANNEL_ID}/activities"  # a new post in the channel


async def test_private_dialogs_are_refused_in_a_channel_and_a_colleagues_card_is_left_alone(
    db, clock, client, connector
) -> None:
    world, _ = await _set_up(db, clock, connector)
    connector.add_member("29:tess", email="teacher@elmpark.test", aad_object_id="aad-tess")
    tess = TeamsUser(client, connector, "29:tess", "aad-tess")
    pat = TeamsUser(client, connector, "29:pat", "aad-pat")
    group = Chat.group("19:groupchat-abc@thread.v2")
    said = await tess.say("start", group, mention=True)
    assert "can't be done in a shared channel" in text_of(said)
    await pat.say("absent", group, mention=True)
    card_id, card = connector.last_card()
    said = await tess.submit(group, as_clicked(card, "1"), card_id=card_id)
    assert "someone else's" in text_of(said)
    assert connector.updates() == []  # Pat's question is still open for Pat
    said = await pat.submit(group, as_clicked(card, "1"), card_id=card_id)
    assert field_of(connector.last_card()[1]) == "date"
    assert world.teacher.id


def test_a_channel_link_from_teams_gives_the_channel_id() -> None:
    link = (
        "https://teams.microsoft.com/l/channel/19%3a3f1c0ffee0a64c4e8d2b7a5c9e1f0a2b%40thread.tacv2"
        "/Pathways%2520AP?groupId=5d2c&tenantId=72f9"
    )
    assert channel_id_from(link) == "19:3f1c0ffee0a64c4e8d2b7a5c9e1f0a2b@thread.tacv2"
    assert channel_id_from(CHANNEL_ID) == CHANNEL_ID
