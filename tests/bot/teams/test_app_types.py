"""Teams as Microsoft now registers bots: SingleTenant by default, a user-assigned managed
identity (UserAssignedMSI, no password: Azure gives the bot its tokens where it runs), and
MultiTenant kept for registrations made before July 2025."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.channels.teams.routes import UnsafeTeamsSetup, check_settings
from bot.settings import Settings
from storage.models import ConversationRef
from storage.services.audit import Change
from storage.services.shared_channels import link_channel
from tests.support.factories import build_world
from tests.support.teams import Chat, TeamsUser
from tests.support.teams_apps import APP_ID, TENANT_ID, registered

CHANNEL_ID = "19:provider@thread.tacv2"


def _settings(**given: object) -> Settings:
    return Settings(_env_file=None, MicrosoftAppId=APP_ID, **given)  # type: ignore[call-arg,arg-type]


def test_a_managed_identity_needs_its_tenant_and_no_password() -> None:
    check_settings(_settings(MicrosoftAppType="UserAssignedMSI", MicrosoftAppTenantId=TENANT_ID))
    with pytest.raises(UnsafeTeamsSetup) as refused:
        check_settings(_settings(MicrosoftAppType="UserAssignedMSI"))
    assert "UserAssignedMSI" in str(refused.value)
    assert "MicrosoftAppTenantId" in str(refused.value)
    with pytest.raises(UnsafeTeamsSetup) as refused:
        check_settings(_settings(MicrosoftAppType="Federated", MicrosoftAppTenantId=TENANT_ID))
    assert "SingleTenant" in str(refused.value) and "UserAssignedMSI" in str(refused.value)
    # A SingleTenant registration still needs its client secret.
    with pytest.raises(UnsafeTeamsSetup) as refused:
        check_settings(_settings(MicrosoftAppTenantId=TENANT_ID))
    assert "MicrosoftAppPassword" in str(refused.value)


async def test_a_bot_with_a_managed_identity_checks_microsofts_tokens(db, clock, connector) -> None:
    """botbuilder 4.17.1 takes the managed identity's configuration; the tokens Teams sends are
    checked as for any registration (a token for another app is refused)."""
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        await link_channel(
            session,
            Change(person_id=None, channel="test", at=clock.now()),
            platform="teams",
            external_id=CHANNEL_ID,
            organisation=world.provider,
        )
    managed = registered(
        db,
        clock,
        connector,
        MicrosoftAppType="UserAssignedMSI",
        MicrosoftAppPassword=None,
    )
    async with managed as client:
        user = TeamsUser(client, connector, "29:pat", "aad-pat")
        added = user.activity(Chat.team_channel(CHANNEL_ID, "team-1"), type="conversationUpdate")
        others = {"Authorization": f"Bearer {connector.token(app_id='someone-elses-app')}"}
        assert await user.post(added, others) == 401
        ours = {"Authorization": f"Bearer {connector.token(app_id=APP_ID)}"}
        assert await user.post(added, ours) == 202
    async with db.sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(ConversationRef))
    assert stored == 1  # the channel's reference, kept for notices
    assert connector.sent == []
