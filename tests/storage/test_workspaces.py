"""Slack workspaces and Microsoft 365 tenants mapped to organisations: linked, looked up,
unlinked, each change audited in the same transaction; ids kept as the platforms write them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.clock import FixedClock
from storage.models import AuditEntry, WorkspaceLink
from storage.services import workspaces
from storage.services.workspaces import WorkspaceError
from tests.support.database import Database
from tests.support.factories import build_world

TENANT = "8F1C2D3E-4B5A-6978-8A9B-0C1D2E3F4A5B"


async def test_a_workspace_maps_to_its_organisations_and_unmaps(
    db: Database, clock: FixedClock
) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        link = await workspaces.link_workspace(
            session,
            platform="slack",
            external_id="t0school1",
            organisation_id=world.school.id,
            by_person_id=world.admin.id,
            name="Elm Park",
            at=clock.now(),
        )
        assert link.external_id == "T0SCHOOL1"
        # A trust's two schools sharing one tenant; the tenant id stored lower-case.
        for school in (world.school, world.other_school):
            await workspaces.link_workspace(
                session,
                platform="teams",
                external_id=TENANT,
                organisation_id=school.id,
                by_person_id=None,
                at=clock.now(),
            )
    async with db.sessions() as session:
        assert await workspaces.organisations_for(
            session, platform="slack", external_ids=["T0SCHOOL1"]
        ) == {world.school.id}
        # A Slack event names its team and its Grid organisation; either may be mapped.
        assert await workspaces.organisations_for(
            session, platform="slack", external_ids=["E0GRID", "T0SCHOOL1"]
        ) == {world.school.id}
        assert await workspaces.organisations_for(
            session, platform="teams", external_ids=[TENANT.lower()]
        ) == {world.school.id, world.other_school.id}
        # The same id on the other platform, an unmapped id, or junk: nobody.
        assert (
            await workspaces.organisations_for(
                session, platform="teams", external_ids=["T0SCHOOL1", "", "not-a-guid"]
            )
            == set()
        )
        listed = await workspaces.list_workspaces(session)
        assert [(w.platform, w.external_id, w.organisation.name) for w in listed] == [
            ("slack", "T0SCHOOL1", "Elm Park School"),
            ("teams", TENANT.lower(), "Birch Lane School"),
            ("teams", TENANT.lower(), "Elm Park School"),
        ]
        assert len(await workspaces.list_workspaces(session, platform="slack")) == 1

    async with db.sessions() as session, session.begin():
        assert await workspaces.unlink_workspace(
            session,
            platform="teams",
            external_id=TENANT,
            organisation_id=world.other_school.id,
            by_person_id=world.admin.id,
            at=clock.now(),
        )
        assert not await workspaces.unlink_workspace(
            session,
            platform="teams",
            external_id=TENANT,
            organisation_id=world.other_school.id,
            by_person_id=world.admin.id,
            at=clock.now(),
        )
    async with db.sessions() as session:
        assert await workspaces.organisations_for(
            session, platform="teams", external_ids=[TENANT]
        ) == {world.school.id}
        trail = list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.record_type == "WorkspaceLink")
                .order_by(AuditEntry.id)
            )
        )
    assert [(e.action, e.person_id, e.channel) for e in trail] == [
        ("created", world.admin.id, "cli"),
        ("created", None, "cli"),
        ("created", None, "cli"),
        ("deleted", world.admin.id, "cli"),
    ]
    assert trail[0].changes["external_id"] == "T0SCHOOL1"
    assert trail[0].changes["organisation_id"] == world.school.id


async def test_linking_again_changes_nothing(db: Database, clock: FixedClock) -> None:
    world = await build_world(db, clock)
    for _ in range(2):
        async with db.sessions() as session, session.begin():
            await workspaces.link_workspace(
                session,
                platform="slack",
                external_id="T0SCHOOL1",
                organisation_id=world.school.id,
                by_person_id=None,
                at=clock.now(),
            )
    async with db.sessions() as session:
        links = list(await session.scalars(select(WorkspaceLink)))
        audited = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.record_type == "WorkspaceLink")
            )
        )
    assert len(links) == 1
    assert len(audited) == 1


@pytest.mark.parametrize(
    ("platform", "external_id", "says"),
    [
        ("teams", "contoso.onmicrosoft.com", "is not a Microsoft 365 tenant id"),
        ("teams", "8f1c2d3e-4b5a", "is not a Microsoft 365 tenant id"),
        ("slack", "C0123ABCD", "is not a Slack workspace id"),
        ("slack", "", "is not a Slack workspace id"),
        ("discord", "T0123", "Unknown platform"),
    ],
)
async def test_what_is_not_a_workspace_or_tenant_is_refused(
    db: Database, clock: FixedClock, platform: str, external_id: str, says: str
) -> None:
    world = await build_world(db, clock)
    async with db.sessions() as session, session.begin():
        with pytest.raises(WorkspaceError, match=says):
            await workspaces.link_workspace(
                session,
                platform=platform,  # type: ignore[arg-type]
                external_id=external_id,
                organisation_id=world.school.id,
                by_person_id=None,
                at=clock.now(),
            )
    async with db.sessions() as session:
        assert list(await session.scalars(select(WorkspaceLink))) == []


async def test_an_organisation_nobody_set_up_is_refused(db: Database, clock: FixedClock) -> None:
    async with db.sessions() as session, session.begin():
        with pytest.raises(WorkspaceError, match="no organisation number 999"):
            await workspaces.link_workspace(
                session,
                platform="teams",
                external_id=TENANT,
                organisation_id=999,
                by_person_id=None,
                at=clock.now(),
            )
