"""One deployment, many Microsoft 365 tenants: each school's (and each provider's) tenant is
mapped to its organisation (`apbot tenants link`), its people are recognised there and only
there, and the bot answers each tenant through that tenant's own conversation (serviceUrl and
tenant id), proactive messages included. On SQLite and (with TEST_POSTGRES_URL) PostgreSQL.

The bot here is a local trial that lists only the LA's own tenant (TEAMS_ALLOWED_TENANTS), as
a registered single-tenant bot would: the schools' tenants are let in because they are mapped.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select

from bot.channels.teams import wording as say
from bot.channels.teams.deliverer import TeamsDeliverer
from bot.channels.teams.routes import TEAMS
from bot.delivery import Notice, Recipient
from dialogs import wording
from storage.models import AttendanceRecord, Person
from storage.services import workspaces
from storage.services.audit import Change
from storage.services.shared_channels import link_channel
from tests.fakes.bot_connector import FakeBotConnector
from tests.support.database import Database
from tests.support.factories import build_world, place
from tests.support.teams import (
    LA_TENANT,
    OTHER_SCHOOL_TENANT,
    PROVIDER_TENANT,
    SCHOOL_TENANT,
    UNMAPPED_TENANT,
    Chat,
    TeamsUser,
    as_clicked,
    field_of,
    map_tenant,
    text_of,
)
from tests.support.teams_apps import local_trial

REFUSALS = (wording.NO_ACCESS, say.ORGANISATION_NOT_SET_UP)
CHANNEL_ID = "19:pathwaysap0a64c4e8d2b7a5c9e1f0a2b@thread.tacv2"
TEAM_ID = "19:pathwaysteam4c4e8d2b7a5c9e1f0a2b@thread.tacv2"


async def _link(db: Database, person_id: int) -> tuple[str | None, str | None]:
    async with db.sessions() as session:
        person = await session.get(Person, person_id)
    assert person is not None
    return person.teams_tenant_id, person.teams_aad_object_id


def _answered(said: list[dict[str, Any]]) -> bool:
    return bool(said) and not any(a.get("text") in REFUSALS for a in said)


async def test_two_schools_tenants_are_answered_and_a_third_is_refused(db, clock, caplog) -> None:
    caplog.set_level(logging.INFO)
    world = await build_world(db, clock)
    await map_tenant(db, clock, SCHOOL_TENANT, world.school)
    await map_tenant(db, clock, OTHER_SCHOOL_TENANT, world.other_school)
    async with (
        await local_trial(db, clock, teams_allowed_tenants=LA_TENANT) as client,
        FakeBotConnector(tenant_id=SCHOOL_TENANT) as elm_park,
        FakeBotConnector(tenant_id=OTHER_SCHOOL_TENANT) as birch_lane,
        FakeBotConnector(tenant_id=UNMAPPED_TENANT) as elsewhere,
    ):
        elm_park.add_member("29:tess", upn=world.teacher.email, aad_object_id="aad-tess")
        birch_lane.add_member("29:otto", upn=world.other_teacher.email, aad_object_id="aad-otto")
        elsewhere.add_member("29:eve", upn=world.dsl.email, aad_object_id="aad-eve")
        tess = TeamsUser(client, elm_park, "29:tess", "aad-tess")
        otto = TeamsUser(client, birch_lane, "29:otto", "aad-otto")
        eve = TeamsUser(client, elsewhere, "29:eve", "aad-eve")

        assert _answered(await tess.say("status", Chat.personal("tess")))
        assert _answered(await otto.say("status", Chat.personal("otto")))
        said = await eve.say("absent Jamie Testpupil hit at home", Chat.personal("eve"))

    assert [a.get("text") for a in said] == [say.ORGANISATION_NOT_SET_UP]
    assert not [c for c in elsewhere.sent if c.method == "GET"]  # nobody looked up
    # Each tenant was answered through its own connector, in its own conversation.
    assert {c.conversation_id for c in elm_park.sent if c.method == "POST"} == {"a:personal-tess"}
    assert {c.conversation_id for c in birch_lane.sent if c.method == "POST"} == {"a:personal-otto"}
    assert await _link(db, world.teacher.id) == (SCHOOL_TENANT, "aad-tess")
    assert await _link(db, world.other_teacher.id) == (OTHER_SCHOOL_TENANT, "aad-otto")
    assert await _link(db, world.dsl.id) == (None, None)
    assert UNMAPPED_TENANT in caplog.text
    assert "Jamie" not in caplog.text and "hit at home" not in caplog.text


async def test_a_listed_tenant_that_is_not_mapped_recognises_only_whoever_runs_the_bot(
    db, clock, caplog
) -> None:
    """Once tenants are mapped, the LA's own tenant (TEAMS_ALLOWED_TENANTS) no longer makes
    anyone a school's person: the teacher is told to ask their admin; the admin (no
    organisation) is recognised there."""
    caplog.set_level(logging.INFO)
    world = await build_world(db, clock)
    await map_tenant(db, clock, SCHOOL_TENANT, world.school)
    async with (
        await local_trial(db, clock, teams_allowed_tenants=LA_TENANT) as client,
        FakeBotConnector(tenant_id=LA_TENANT) as la,
    ):
        la.add_member("29:tess-la", upn=world.teacher.email, aad_object_id="aad-tess-la")
        la.add_member("29:ada", upn=world.admin.email, aad_object_id="aad-ada")
        teacher = TeamsUser(client, la, "29:tess-la", "aad-tess-la")
        admin = TeamsUser(client, la, "29:ada", "aad-ada")

        said = await teacher.say("chronology AP-7K3Q worried", Chat.personal("tess-la"))
        assert _answered(await admin.say("status", Chat.personal("ada")))

    assert [a.get("text") for a in said] == [say.ORGANISATION_NOT_SET_UP]
    assert await _link(db, world.teacher.id) == (None, None)
    assert await _link(db, world.admin.id) == (LA_TENANT, "aad-ada")
    assert f"person {world.teacher.id} not recognised in tenant" in caplog.text
    assert "worried" not in caplog.text


async def test_a_person_linked_in_a_tenant_no_longer_mapped_to_their_school_is_refused(
    db, clock
) -> None:
    world = await build_world(db, clock)
    await map_tenant(db, clock, SCHOOL_TENANT, world.school)
    async with (
        await local_trial(db, clock, teams_allowed_tenants=LA_TENANT) as client,
        FakeBotConnector(tenant_id=SCHOOL_TENANT) as elm_park,
    ):
        elm_park.add_member("29:tess", upn=world.teacher.email, aad_object_id="aad-tess")
        tess = TeamsUser(client, elm_park, "29:tess", "aad-tess")
        assert _answered(await tess.say("status", Chat.personal("tess")))

        # The tenant now belongs to the other school only (a mistake put right, say).
        await map_tenant(db, clock, SCHOOL_TENANT, world.other_school)
        async with db.sessions() as session, session.begin():
            await workspaces.unlink_workspace(
                session,
                platform="teams",
                external_id=SCHOOL_TENANT,
                organisation_id=world.school.id,
                by_person_id=None,
                at=clock.now(),
            )
        still_mapped = await tess.say("status", Chat.personal("tess"))

        # Unmapped altogether: the tenant is not let in at all.
        async with db.sessions() as session, session.begin():
            await workspaces.unlink_workspace(
                session,
                platform="teams",
                external_id=SCHOOL_TENANT,
                organisation_id=world.other_school.id,
                by_person_id=None,
                at=clock.now(),
            )
        unmapped = await tess.say("status", Chat.personal("tess"))

    assert [a.get("text") for a in still_mapped] == [say.ORGANISATION_NOT_SET_UP]
    assert [a.get("text") for a in unmapped] == [say.ORGANISATION_NOT_SET_UP]


async def test_a_provider_in_its_own_tenant_reports_an_absence_in_its_channel(db, clock) -> None:
    """The provider's own team, in the provider's tenant (not the school's), its channel linked
    to the provider: its staff are recognised through the provider's mapping, and the channel
    sees the placement reference only."""
    world = await build_world(db, clock)
    await map_tenant(db, clock, SCHOOL_TENANT, world.school)
    await map_tenant(db, clock, PROVIDER_TENANT, world.provider)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=dt.date(2026, 11, 2),
        )
        await link_channel(
            session,
            Change(person_id=None, channel="test", at=clock.now()),
            platform="teams",
            external_id=CHANNEL_ID,
            organisation=world.provider,
        )
    async with (
        await local_trial(db, clock, teams_allowed_tenants=LA_TENANT) as client,
        FakeBotConnector(tenant_id=PROVIDER_TENANT) as pathways,
    ):
        pathways.add_member("29:pat", upn=world.provider_staff.email, aad_object_id="aad-pat")
        pat = TeamsUser(client, pathways, "29:pat", "aad-pat", name="Pat Office")
        thread = Chat.team_channel(CHANNEL_ID, TEAM_ID, thread="1700000000000")
        said = await pat.say("absent", thread, mention=True)
        answers = {
            "placement": "1",
            "date": "",
            "sessions": "AM, PM",
            "reason": "Unwell, mum rang",
            "code": "I",
            "confirm": "yes",
        }
        for _ in range(10):
            if not any(a.get("attachments") for a in said):
                break
            _, card = pathways.last_card()
            said = await pat.submit(thread, as_clicked(card, answers[field_of(card)]))

    assert "✓" in text_of(said) and placement.reference in text_of(said)
    everything = text_of(pathways.delivered()) + text_of([u.body for u in pathways.updates()])
    for secret in ("Jamie", "Testpupil", "Unwell", "mum rang"):
        assert secret not in everything
    async with db.sessions() as session:
        records = list(await session.scalars(select(AttendanceRecord)))
    assert len(records) == 2
    assert await _link(db, world.provider_staff.id) == (PROVIDER_TENANT, "aad-pat")


async def test_proactive_messages_go_to_each_tenants_own_service_url_and_tenant(db, clock) -> None:
    world = await build_world(db, clock)
    await map_tenant(db, clock, SCHOOL_TENANT, world.school)
    await map_tenant(db, clock, OTHER_SCHOOL_TENANT, world.other_school)
    async with (
        await local_trial(db, clock, teams_allowed_tenants=LA_TENANT) as client,
        FakeBotConnector(tenant_id=SCHOOL_TENANT) as elm_park,
        FakeBotConnector(tenant_id=OTHER_SCHOOL_TENANT) as birch_lane,
    ):
        elm_park.add_member("29:dee", upn=world.dsl.email, aad_object_id="aad-dee")
        birch_lane.add_member("29:olive", upn=world.other_dsl.email, aad_object_id="aad-olive")
        await TeamsUser(client, elm_park, "29:dee", "aad-dee").say("help", Chat.personal("dee"))
        await TeamsUser(client, birch_lane, "29:olive", "aad-olive").say(
            "help", Chat.personal("olive")
        )
        elm_park.clear()
        birch_lane.clear()
        teams = client.app[TEAMS]
        deliverer = TeamsDeliverer(teams.adapter, teams.sessions)
        for outbox_id, person in ((1, world.dsl), (2, world.other_dsl)):
            await deliverer.send(
                Notice(
                    outbox_id=outbox_id,
                    key=f"test:{outbox_id}",
                    kind="digest",
                    text=f"Digest for {person.name}",
                    recipient=Recipient(person_id=person.id),
                )
            )

    [to_elm_park] = elm_park.sent
    [to_birch_lane] = birch_lane.sent
    assert to_elm_park.conversation_id == "a:personal-dee"
    assert to_birch_lane.conversation_id == "a:personal-olive"
    assert to_elm_park.body is not None and to_birch_lane.body is not None
    assert to_elm_park.body["text"] == "Digest for Dee Lead"
    assert to_birch_lane.body["text"] == "Digest for Olive Lead"
    for call, tenant in ((to_elm_park, SCHOOL_TENANT), (to_birch_lane, OTHER_SCHOOL_TENANT)):
        assert call.body is not None
        assert call.body["channelData"]["tenant"] == {"id": tenant}
        # botbuilder 4.17.1 writes the conversation's tenant as `tenantID`.
        assert call.body["conversation"]["tenantID"] == tenant
