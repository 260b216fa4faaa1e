"""Issue 13, finding 2: Teams identity rested on an email, with no tenant check, and MultiTenant
was the default. A user of any tenant whose directory `mail` read like the DSL's address was
linked to the DSL (and the audit log said the DSL did it).

Now: only allowed tenants; a person is matched by (tenant, object id); a first contact links by
user principal name only, in an allowed tenant; a person linked to another Teams user is never
relinked (refused, the admins told); the link's audit row names the first contact."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.channels.teams import wording as say
from bot.channels.teams.routes import UnsafeTeamsSetup, check_settings
from bot.settings import Settings
from dialogs import wording
from storage.models import AuditEntry, ConversationRef, OutboxMessage, Person
from storage.services.audit import Change
from storage.services.shared_channels import link_channel
from tests.fakes.bot_connector import FakeBotConnector
from tests.support.database import Database
from tests.support.factories import World, build_world
from tests.support.teams import Chat, TeamsUser
from tests.support.teams_apps import APP_ID, local_trial


async def _person(db: Database, person_id: int) -> Person:
    async with db.sessions() as session:
        person = await session.get(Person, person_id)
    assert person is not None
    return person


async def _dee_links_herself(
    client: TestClient[Any, Any], connector: FakeBotConnector, world: World
) -> None:
    connector.add_member("29:dee", upn=world.dsl.email, aad_object_id="aad-dee")
    dee = TeamsUser(client, connector, "29:dee", "aad-dee")
    said = await dee.say("help", Chat.personal("dee"))
    assert said and said[0]["text"] != wording.NO_ACCESS


def test_single_tenant_is_the_default_and_needs_its_tenant() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.microsoft_app_type == "SingleTenant"
    refused = None
    try:
        check_settings(Settings(_env_file=None, MicrosoftAppId=APP_ID, MicrosoftAppPassword="s"))  # type: ignore[call-arg,arg-type]
    except UnsafeTeamsSetup as error:
        refused = str(error)
    assert refused is not None and "MicrosoftAppTenantId" in refused


async def test_an_email_that_reads_like_the_dsls_does_not_make_you_the_dsl(
    db, clock, connector
) -> None:
    world = await build_world(db, clock)
    async with await local_trial(db, clock) as client:
        connector.add_member(
            "29:mallory", email=world.dsl.email, upn="mallory@elsewhere.test", aad_object_id="aad-m"
        )
        mallory = TeamsUser(client, connector, "29:mallory", "aad-m")
        said = await mallory.say("status", Chat.personal("mallory"))
    assert [a.get("text") for a in said] == [wording.NO_ACCESS]
    assert (await _person(db, world.dsl.id)).teams_aad_object_id is None


async def test_a_tenant_not_allowed_is_refused_politely_and_logged_without_content(
    db, clock, connector, caplog
) -> None:
    caplog.set_level(logging.INFO)
    world = await build_world(db, clock)
    async with await local_trial(db, clock, teams_allowed_tenants="tenant-1") as client:
        connector.add_member("29:eve", upn=world.dsl.email, aad_object_id="aad-eve")
        eve = TeamsUser(client, connector, "29:eve", "aad-eve")
        activity = eve.activity(Chat.personal("eve"), text="absent Jamie Testpupil hit at home")
        activity["channelData"] = {"tenant": {"id": "tenant-evil"}}
        activity["conversation"]["tenantId"] = "tenant-evil"
        assert await eve.post(activity) == 202
    assert connector.texts() == [say.ORGANISATION_NOT_SET_UP]
    assert not [c for c in connector.sent if c.method == "GET"]  # nobody looked up
    assert (await _person(db, world.dsl.id)).teams_aad_object_id is None
    assert "tenant-evil" in caplog.text
    assert "Jamie" not in caplog.text and "hit at home" not in caplog.text


async def test_a_person_is_matched_by_tenant_and_object_id(db, clock, connector) -> None:
    """The DSL is linked in tenant-1; the same object id claimed from another allowed tenant
    is somebody else."""
    world = await build_world(db, clock)
    async with await local_trial(db, clock, teams_allowed_tenants="tenant-1,tenant-2") as client:
        await _dee_links_herself(client, connector, world)
        connector.members.clear()
        other = TeamsUser(client, connector, "29:other", "aad-dee")
        activity = other.activity(Chat.personal("other"), text="status")
        activity["channelData"] = {"tenant": {"id": "tenant-2"}}
        activity["conversation"]["tenantId"] = "tenant-2"
        before = len(connector.delivered())
        await other.post(activity)
        said = connector.delivered()[before:]
    assert [a.get("text") for a in said] == [wording.NO_ACCESS]
    dsl = await _person(db, world.dsl.id)
    assert (dsl.teams_tenant_id, dsl.teams_aad_object_id) == ("tenant-1", "aad-dee")


async def test_a_linked_person_is_never_relinked_silently(db, clock, connector) -> None:
    world = await build_world(db, clock)
    async with await local_trial(db, clock) as client:
        await _dee_links_herself(client, connector, world)
        # Someone else in the tenant whose UPN reads as the DSL's (a renamed account, a typo).
        connector.add_member("29:new", upn=world.dsl.email, aad_object_id="aad-new")
        newcomer = TeamsUser(client, connector, "29:new", "aad-new")
        said = await newcomer.say("status", Chat.personal("new"))
    assert [a.get("text") for a in said] == [say.LINK_REFUSED]
    assert (await _person(db, world.dsl.id)).teams_aad_object_id == "aad-dee"
    async with db.sessions() as session:
        notices = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "identity_conflict")
            )
        )
    assert [n.recipient_id for n in notices] == [world.admin.id]
    assert "aad-new" in notices[0].text and world.dsl.email in notices[0].text


async def test_the_links_audit_row_names_the_first_contact_not_the_person(
    db, clock, connector
) -> None:
    world = await build_world(db, clock)
    async with await local_trial(db, clock) as client:
        await _dee_links_herself(client, connector, world)
    async with db.sessions() as session:
        [row] = await session.scalars(
            select(AuditEntry).where(
                AuditEntry.record_type == "Person",
                AuditEntry.record_id == world.dsl.id,
                AuditEntry.action == "updated",
            )
        )
    assert row.person_id is None and row.channel == "teams"
    assert row.changes["how"] == "Teams first contact from tenant tenant-1, object aad-dee"
    assert row.changes["teams_aad_object_id"] == {"from": None, "to": "aad-dee"}


async def test_with_an_app_id_a_signed_activity_from_another_tenant_is_refused(
    db, clock, connector, registered_bot
) -> None:
    """The token is genuine (Microsoft signed it), the tenant is not ours: nothing of it is
    kept. (A bot added to a linked provider channel: from the allowed tenant its reference is
    stored, from another it is not.)"""
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        await link_channel(
            session,
            Change(person_id=None, channel="test", at=clock.now()),
            platform="teams",
            external_id="19:provider@thread.tacv2",
            organisation=world.provider,
        )
    user = TeamsUser(registered_bot, connector, "29:pat", "aad-pat")
    chat = Chat.team_channel("19:provider@thread.tacv2", "team-1")
    token = {"Authorization": f"Bearer {connector.token(app_id=APP_ID)}"}

    foreign = user.activity(chat, type="conversationUpdate")
    foreign["channelData"]["tenant"] = {"id": "tenant-evil"}
    foreign["conversation"]["tenantId"] = "tenant-evil"
    assert await user.post(foreign, token) == 202
    assert await _references(db) == 0

    assert await user.post(user.activity(chat, type="conversationUpdate"), token) == 202
    assert await _references(db) == 1
    assert connector.sent == []  # neither needed a call to the connector


async def _references(db: Database) -> int:
    async with db.sessions() as session:
        return await session.scalar(select(func.count()).select_from(ConversationRef)) or 0
