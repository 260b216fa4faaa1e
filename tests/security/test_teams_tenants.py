"""Issue 15: people are matched to persons only within a tenant mapped to their organisation.

An LA lists every school's tenant (TEAMS_ALLOWED_TENANTS) and maps each to its school. Before
the fix, a user of Birch Lane's tenant whose user principal name read like Elm Park's DSL (a
renamed account, a domain verified in the wrong tenant, a typo in the MIS export) was linked to
Elm Park's DSL: anyone listed was anyone's. Now the tenant must be mapped to the person's own
organisation."""

from __future__ import annotations

from sqlalchemy import select

from bot.channels.teams import wording as say
from storage.models import AuditEntry, Person
from tests.fakes.bot_connector import FakeBotConnector
from tests.support.factories import build_world
from tests.support.teams import (
    OTHER_SCHOOL_TENANT,
    SCHOOL_TENANT,
    Chat,
    TeamsUser,
    map_tenant,
    text_of,
)
from tests.support.teams_apps import local_trial


async def test_a_school_a_person_writing_from_school_bs_tenant_is_not_school_as_person(
    db, clock
) -> None:
    world = await build_world(db, clock)
    await map_tenant(db, clock, SCHOOL_TENANT, world.school)
    await map_tenant(db, clock, OTHER_SCHOOL_TENANT, world.other_school)
    listed = f"{SCHOOL_TENANT},{OTHER_SCHOOL_TENANT}"
    async with (
        await local_trial(db, clock, teams_allowed_tenants=listed) as client,
        FakeBotConnector(tenant_id=OTHER_SCHOOL_TENANT) as birch_lane,
    ):
        birch_lane.add_member("29:mallory", upn=world.dsl.email, aad_object_id="aad-mallory")
        mallory = TeamsUser(client, birch_lane, "29:mallory", "aad-mallory")
        said = await mallory.say("chronology", Chat.personal("mallory"))

    assert [a.get("text") for a in said] == [say.ORGANISATION_NOT_SET_UP]
    assert "Jamie" not in text_of(birch_lane.delivered())
    async with db.sessions() as session:
        dsl = await session.get(Person, world.dsl.id)
        relinked = list(
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.record_type == "Person",
                    AuditEntry.record_id == world.dsl.id,
                    AuditEntry.action == "updated",
                )
            )
        )
    assert dsl is not None and (dsl.teams_tenant_id, dsl.teams_aad_object_id) == (None, None)
    assert relinked == []
