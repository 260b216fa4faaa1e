"""One deployment, many Slack workspaces: each installs the app through the OAuth flow, is
answered with its own token, and its people are recognised only through the organisations it
is mapped to; a Slack Connect channel shared by a school's and a provider's workspaces carries
the provider's absence report; a workspace that removes the app loses its token, not its people."""

from __future__ import annotations

import logging

from sqlalchemy import select, type_coerce
from sqlalchemy.types import Text

from bot.channels.slack.app import slack_status
from bot.channels.slack.delivery import SlackDeliverer
from bot.delivery import Notice, Recipient
from dialogs import wording
from storage.models import (
    AttendanceRecord,
    ChatChannel,
    OutboxMessage,
    Person,
    slack_bots,
    slack_installations,
)
from storage.services.workspaces import link_workspace
from storage.wording import NoticeKind
from tests.support.factories import World, build_world, place
from tests.support.slack import report_absence
from tests.support.slack_oauth import OAuthSlack, oauth_slack

SCHOOL, PROVIDER, STRANGER = "TSCHOOL", "TPATHWAYS", "TELSEWHERE"
TEACHER, OFFICE, ADMIN, OUTSIDER = "UTEACHER", "UOFFICE", "UADMIN", "UOUTSIDER"
SHARED = "CSHAREDAP"


async def _map(db, world: World) -> None:
    async with db.sessions() as session, session.begin():
        await link_workspace(
            session,
            platform="slack",
            external_id=SCHOOL,
            organisation_id=world.school.id,
            by_person_id=world.admin.id,
        )
        await link_workspace(
            session,
            platform="slack",
            external_id=PROVIDER,
            organisation_id=world.provider.id,
            by_person_id=world.admin.id,
        )


async def _two_workspaces(db, clock, bot: OAuthSlack):
    world = await build_world(db, clock)
    school = await bot.install(SCHOOL, name="Elm Park")
    provider = await bot.install(PROVIDER, name="Pathways AP")
    await _map(db, world)
    bot.api.add_user(TEACHER, email=world.teacher.email, team_id=SCHOOL)
    bot.api.add_user(ADMIN, email=world.admin.email, team_id=SCHOOL)
    bot.api.add_user(OFFICE, email=world.provider_staff.email, team_id=PROVIDER)
    return world, school, provider


async def test_each_workspace_is_answered_with_its_own_token(db, clock) -> None:
    async with oauth_slack(db, clock) as bot:
        world, school, provider = await _two_workspaces(db, clock, bot)
        tokens = {t: bot.api.workspaces[t].token for t in (SCHOOL, PROVIDER)}
        assert tokens[SCHOOL] and tokens[PROVIDER] and tokens[SCHOOL] != tokens[PROVIDER]

        # Sealed at rest: the stored token is not the token.
        async with db.engine.connect() as connection:
            stored = set(
                await connection.scalars(select(type_coerce(slack_bots.c.bot_token, Text)))
            ) | set(
                await connection.scalars(select(type_coerce(slack_installations.c.bot_token, Text)))
            )
        assert stored and all(s.startswith("enc1:") for s in stored)
        assert not stored & set(tokens.values())

        bot.api.clear()
        assert await school.dm(TEACHER, "help") == 200
        assert await provider.dm(OFFICE, "help") == 200
        assert school.last(user=TEACHER).text and provider.last(user=OFFICE).text
        assert all(c.ok for c in bot.api.calls), [(c.method, c.response) for c in bot.api.calls]
        by_user = {TEACHER: SCHOOL, OFFICE: PROVIDER}
        for call in bot.api.calls:
            if call.method in ("users.info", "chat.postMessage"):
                target = str(call.args.get("user") or call.args.get("channel"))
                assert call.team == by_user[target.removeprefix("D")], call

        async with db.sessions() as session:
            teacher = await session.get(Person, world.teacher.id)
            office = await session.get(Person, world.provider_staff.id)
            assert teacher and teacher.slack_team_id == SCHOOL
            assert office and office.slack_team_id == PROVIDER

        # The scheduler's messages too: each with the recipient's workspace's token.
        slack = school.slack
        deliverer = SlackDeliverer(slack.base_client, slack.installations)
        for person, user, team in (
            (world.teacher, TEACHER, SCHOOL),
            (world.provider_staff, OFFICE, PROVIDER),
        ):
            recipient = Recipient(person_id=person.id, slack_user_id=user, slack_team_id=team)
            await deliverer.send(
                Notice(outbox_id=1, key="k", kind="digest", text="Hello", recipient=recipient)
            )
            sent = bot.api.calls_to("chat.postMessage")[-1]
            assert sent.team == team and sent.args["channel"] == user


async def test_a_provider_reports_an_absence_from_its_own_workspace_in_a_slack_connect_channel(
    db, clock
) -> None:
    async with oauth_slack(db, clock) as bot:
        world, school, provider = await _two_workspaces(db, clock, bot)
        bot.api.add_channel(SHARED, teams=[SCHOOL, PROVIDER])
        async with db.sessions() as session, session.begin():
            placement = await place(
                session,
                clock,
                by=world.teacher,
                pupil=world.pupil,
                provider=world.provider,
                start=clock.now().date(),
            )
        # The school's admin links the channel from the school's side.
        await school.command(ADMIN, "link-channel Pathways AP Academy", channel=SHARED)
        assert "now belongs to Pathways AP Academy" in school.responses()[-1].args["text"]

        # The provider's office, in its own workspace, reports the absence there.
        bot.api.clear()
        done = await report_absence(
            provider, OFFICE, SHARED, placement.reference, "Unwell; parent rang at 08:40"
        )
        assert not done.ephemeral and placement.reference in done.words
        assert world.pupil.first_name not in done.words + done.text
        posted = [c for c in bot.api.calls if c.method.startswith("chat.post")]
        assert posted and all(c.ok and c.team == PROVIDER for c in posted)

        async with db.sessions() as session:
            records = list(await session.scalars(select(AttendanceRecord)))
            assert {r.proposed_code for r in records} == {"I"}
            channel = await session.scalar(select(ChatChannel))
            assert channel is not None and channel.workspace_id == SCHOOL

        # A notice for the channel goes with the token of the workspace it was linked through.
        deliverer = SlackDeliverer(school.slack.base_client, school.slack.installations)
        recipient = Recipient(
            channel_platform="slack", channel_external_id=SHARED, slack_team_id=SCHOOL
        )
        await deliverer.send(
            Notice(
                outbox_id=1, key="k", kind="register_prompt", text="Register", recipient=recipient
            )
        )
        assert bot.api.calls_to("chat.postMessage")[-1].team == SCHOOL


async def test_someone_from_an_installed_but_unmapped_workspace_is_told_to_ask_their_admin(
    db, clock, caplog
) -> None:
    async with oauth_slack(db, clock) as bot:
        world, _school, provider = await _two_workspaces(db, clock, bot)
        elsewhere = await bot.install(STRANGER, name="Somewhere else")
        # Even with the email of a person of ours: the workspace is mapped to nobody.
        bot.api.add_user(OUTSIDER, email=world.other_teacher.email, team_id=STRANGER)
        caplog.clear()
        caplog.set_level(logging.INFO)
        assert await elsewhere.dm(OUTSIDER, "my secret about a pupil") == 200
        told = elsewhere.last(user=OUTSIDER)
        assert told.text == wording.NO_ACCESS or wording.NO_ACCESS in told.words
        assert bot.api.calls_to("chat.postMessage")[-1].team == STRANGER
        assert "secret" not in caplog.text and STRANGER in caplog.text
        async with db.sessions() as session:
            other = await session.get(Person, world.other_teacher.id)
            assert other and other.slack_user_id is None

        # A school teacher writing from the provider's workspace is not the teacher there.
        bot.api.add_user("UTEACHER2", email=world.teacher.email, team_id=PROVIDER)
        await provider.dm("UTEACHER2", "help")
        assert wording.NO_ACCESS in provider.last(user="UTEACHER2").text


async def test_a_workspace_that_removes_the_app_loses_its_token_and_keeps_its_people(
    db, clock
) -> None:
    async with oauth_slack(db, clock) as bot:
        world, school, provider = await _two_workspaces(db, clock, bot)
        await provider.dm(OFFICE, "help")
        bot.api.revoke(PROVIDER)
        event = {"type": "app_uninstalled"}
        assert await provider.post(provider.event_body(event), "application/json") == 200

        async with db.engine.connect() as connection:
            teams = set(await connection.scalars(select(slack_bots.c.team_id)))
            assert teams == {SCHOOL}
            installs = set(await connection.scalars(select(slack_installations.c.team_id)))
            assert installs == {SCHOOL}
        async with db.sessions() as session:
            office = await session.get(Person, world.provider_staff.id)
            assert office and office.active and office.slack_user_id == OFFICE
            told = list(
                await session.scalars(
                    select(OutboxMessage).where(
                        OutboxMessage.kind == NoticeKind.slack_workspace_removed
                    )
                )
            )
            assert [m.recipient_id for m in told] == [world.admin.id]
            assert PROVIDER in told[0].text and "kept" in told[0].text

        # Its requests are refused now; the school's are still answered.
        bot.api.clear()
        assert await provider.dm(OFFICE, "help") == 403
        assert not bot.api.calls
        assert await school.dm(TEACHER, "help") == 200
        assert bot.api.calls_to("chat.postMessage")[-1].team == SCHOOL
        # Nothing reaches the provider's office in Slack any more (another way may).
        deliverer = SlackDeliverer(school.slack.base_client, school.slack.installations)
        recipient = Recipient(person_id=1, slack_user_id=OFFICE, slack_team_id=PROVIDER)
        assert not await deliverer.can_reach(recipient)

        # Installed again: answered again, with the new token.
        await bot.install(PROVIDER)
        assert await provider.dm(OFFICE, "help") == 200
        assert bot.api.calls_to("chat.postMessage")[-1].team == PROVIDER


async def test_installing_tells_the_admins_how_to_map_the_workspace(db, clock) -> None:
    async with oauth_slack(db, clock) as bot:
        world = await build_world(db, clock)
        await bot.install(STRANGER, name="Somewhere else")
        async with db.sessions() as session:
            notice = await session.scalar(
                select(OutboxMessage).where(
                    OutboxMessage.kind == NoticeKind.slack_workspace_installed
                )
            )
        assert notice is not None and notice.recipient_id == world.admin.id
        assert f"apbot workspaces link slack {STRANGER}" in notice.text
        # `apbot serve` says where workspaces install the app.
        assert "can install the app at GET /slack/install" in slack_status(bot.client.app)
