"""Who may talk to /api/messages: a token is required once an app id is set; without one Teams is
served only as a local trial on a loopback HOST; an unknown Teams user is told how to get access,
and nothing else. (The attacks themselves are in tests/security/test_teams_*.py.)"""

from __future__ import annotations

import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.channels.teams.routes import TEAMS, UnsafeTeamsSetup, check_settings, is_loopback
from bot.runtime import Runtime
from bot.server import build_app
from bot.settings import Settings
from dialogs import wording
from storage.models import AuditEntry, ConversationRef, DialogState, Person
from tests.support.factories import build_world
from tests.support.teams import Chat, TeamsUser

APP_ID = "6f1b7c2e-8a55-4a3d-9a0c-2b1d3e4f5a6b"
TENANT_ID = "tenant-1"


async def test_with_an_app_id_an_unsigned_request_gets_401(db, clock, connector) -> None:
    await build_world(db, clock)
    settings = Settings(
        database_url=db.url,
        MicrosoftAppId=APP_ID,
        MicrosoftAppPassword="secret",
        MicrosoftAppTenantId=TENANT_ID,
    )
    runtime = Runtime(settings, db.engine, db.sessions, clock)
    async with TestClient(TestServer(build_app(runtime), host="127.0.0.1")) as client:
        user = TeamsUser(client, connector, "29:tess", "aad-tess")
        activity = user.activity(Chat.personal("tess"), text="status")
        assert await user.post(activity) == 401
        assert await user.post(activity, {"Authorization": "Bearer not-a-real-token"}) == 401
        unsigned = jwt.encode(
            {"iss": "https://api.botframework.com", "aud": APP_ID, "serviceurl": connector.url},
            key="",
            algorithm="none",
        )
        assert await user.post(activity, {"Authorization": f"Bearer {unsigned}"}) == 401
    assert connector.sent == []  # nothing answered, nobody looked up
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DialogState)) == 0


def test_an_app_id_needs_its_tenants_settled_or_the_server_refuses_to_start() -> None:
    with pytest.raises(UnsafeTeamsSetup) as refused:
        check_settings(Settings(host="0.0.0.0", MicrosoftAppId=APP_ID, MicrosoftAppPassword="s"))
    assert "MicrosoftAppTenantId" in str(refused.value)
    with pytest.raises(UnsafeTeamsSetup) as refused:
        check_settings(
            Settings(
                MicrosoftAppId=APP_ID, MicrosoftAppPassword="s", MicrosoftAppType="MultiTenant"
            )
        )
    assert "TEAMS_ALLOWED_TENANTS" in str(refused.value)
    with pytest.raises(UnsafeTeamsSetup):
        check_settings(Settings(MicrosoftAppId=APP_ID, MicrosoftAppTenantId=TENANT_ID))
    check_settings(
        Settings(MicrosoftAppId=APP_ID, MicrosoftAppPassword="s", MicrosoftAppTenantId=TENANT_ID)
    )
    check_settings(
        Settings(
            MicrosoftAppId=APP_ID,
            MicrosoftAppPassword="s",
            MicrosoftAppType="MultiTenant",
            teams_allowed_tenants="tenant-1, tenant-2",
        )
    )
    check_settings(Settings(host="0.0.0.0"))  # no app id: Teams is simply off
    assert is_loopback("::1") and not is_loopback("10.0.0.5") and not is_loopback("bot.example")


async def test_a_public_server_without_an_app_id_starts_without_teams(db, clock) -> None:
    settings = Settings(database_url=db.url, host="10.1.2.3", teams_local_trial=True)
    app = build_app(Runtime(settings, db.engine, db.sessions, clock))
    assert TEAMS not in app
    assert not [
        r for r in app.router.routes() if r.resource and r.resource.canonical == "/api/messages"
    ]


async def test_an_unknown_user_gets_the_access_message_only(db, clock, client, connector) -> None:
    await build_world(db, clock)
    connector.add_member("29:stranger", email="stranger@nowhere.test", aad_object_id="aad-x")
    stranger = TeamsUser(client, connector, "29:stranger", "aad-x")
    for text in ("help", "start", "status AP-7K3Q"):
        said = await stranger.say(text, Chat.personal("stranger"))
        assert [a.get("text") for a in said] == [wording.NO_ACCESS]
        assert not any(a.get("attachments") for a in said)
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ConversationRef)) == 0
        assert await session.scalar(select(func.count()).select_from(DialogState)) == 0


async def test_a_user_is_matched_by_user_principal_name_once_then_by_tenant_and_object_id(
    db, clock, client, connector
) -> None:
    world = await build_world(db, clock)
    connector.add_member("29:dee", upn="DSL@ElmPark.test", aad_object_id="aad-dee")
    dee = TeamsUser(client, connector, "29:dee", "aad-dee")
    said = await dee.say("help", Chat.personal("dee"))
    assert "Hello Dee" in said[0]["text"]
    async with db.sessions() as session:
        person = await session.get(Person, world.dsl.id)
        assert person is not None and person.teams_aad_object_id == "aad-dee"
        audit = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.record_type == "Person", AuditEntry.action == "updated"
            )
        )
        assert audit is not None and audit.channel == "teams"
    connector.members.clear()  # from now on the AAD object id alone is enough
    lookups = len([c for c in connector.sent if c.method == "GET"])
    said = await dee.say("status", Chat.personal("dee"))
    assert said and said[0]["text"] != wording.NO_ACCESS
    assert len([c for c in connector.sent if c.method == "GET"]) == lookups


async def test_installing_the_bot_greets_and_keeps_the_reference(
    db, clock, client, connector
) -> None:
    world = await build_world(db, clock)
    connector.add_member("29:tess", email="teacher@elmpark.test", aad_object_id="aad-tess")
    tess = TeamsUser(client, connector, "29:tess", "aad-tess")
    update = tess.activity(Chat.personal("tess"), type="installationUpdate", action="add")
    assert await tess.post(update) in (200, 201, 202)
    assert "Hello Tess Teacher" in connector.texts()[0]
    async with db.sessions() as session:
        ref = await session.scalar(select(ConversationRef))
    assert ref is not None and ref.person_id == world.teacher.id


async def test_an_install_announced_twice_greets_once(db, clock, client, connector) -> None:
    await build_world(db, clock)
    connector.add_member("29:tess", email="teacher@elmpark.test", aad_object_id="aad-tess")
    tess = TeamsUser(client, connector, "29:tess", "aad-tess")
    await tess.post(tess.activity(Chat.personal("tess"), type="installationUpdate", action="add"))
    added = tess.activity(Chat.personal("tess"), type="conversationUpdate")
    added["membersAdded"] = [{"id": added["recipient"]["id"]}]
    await tess.post(added)
    assert [t for t in connector.texts() if "Hello Tess" in t] == [connector.texts()[0]]


async def test_the_local_trial_takes_an_activity_that_names_no_tenant(
    db, clock, client, connector
) -> None:
    """As the Agents Playground may send it: the person is still found by user principal name."""
    world = await build_world(db, clock)
    connector.add_member("29:tess", upn=world.teacher.email, aad_object_id="aad-tess")
    connector.members["29:tess"].pop("tenantId")
    tess = TeamsUser(client, connector, "29:tess", "aad-tess")
    activity = tess.activity(Chat.personal("tess"), text="help")
    activity["channelData"] = {}
    activity["conversation"].pop("tenantId")
    assert await tess.post(activity) == 202
    assert "Here is what you can do" in connector.texts()[-1]
