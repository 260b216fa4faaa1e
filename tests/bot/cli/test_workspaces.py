"""`apbot workspaces ...` and `apbot tenants ...`: an admin maps each Slack workspace and each
Microsoft 365 tenant to the organisation(s) whose people use it; mistakes exit with 2. On SQLite
and (with TEST_POSTGRES_URL) PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from storage.clock import FixedClock
from storage.models import AuditEntry
from storage.services import workspaces
from tests.support.cli import Apbot
from tests.support.database import Database
from tests.support.factories import build_world

TENANT = "8F1C2D3E-4B5A-6978-8A9B-0C1D2E3F4A5B"


async def _mapped(db: Database, platform: str, external_id: str) -> set[str]:
    async with db.sessions() as session:
        return {
            link.organisation.name
            for link in await workspaces.list_workspaces(session, platform=platform)  # type: ignore[arg-type]
            if link.external_id == external_id
        }


async def test_a_tenant_is_linked_listed_and_unlinked(
    db: Database, clock: FixedClock, apbot: Apbot
) -> None:
    world = await build_world(db, clock)

    ran = await apbot("tenants", "link", TENANT, "--org", "Elm Park School", "--name", "Elm Park")
    assert ran.code == 0, ran.err
    tenant = TENANT.lower()
    assert ran.out == (
        f"Mapped Microsoft 365 tenant {tenant} to Elm Park School: its people are recognised "
        "there from their next message.\n"
    )
    # A trust's second school in the same tenant, named by its number.
    assert (await apbot("tenants", "link", tenant, "--org", str(world.other_school.id))).code == 0
    assert await _mapped(db, "teams", tenant) == {"Elm Park School", "Birch Lane School"}

    listed = await apbot("tenants", "list", "--json")
    assert json.loads(listed.out) == [
        {
            "id": tenant,
            "name": None,
            "organisation": "Birch Lane School",
            "organisation_id": world.other_school.id,
        },
        {
            "id": tenant,
            "name": "Elm Park",
            "organisation": "Elm Park School",
            "organisation_id": world.school.id,
        },
    ]
    table = (await apbot("tenants", "list")).out.splitlines()
    assert table[0].split() == ["Microsoft", "365", "tenant", "name", "organisation"]
    assert "Elm Park School" in table[2]
    assert (await apbot("workspaces", "list")).out == (
        "No Slack workspace is mapped yet (apbot workspaces link ID --org NAME).\n"
    )

    ran = await apbot("tenants", "unlink", TENANT, "--org", "Birch Lane School")
    assert ran.code == 0, ran.err
    assert "Unmapped Microsoft 365 tenant" in ran.out
    assert await _mapped(db, "teams", tenant) == {"Elm Park School"}
    async with db.sessions() as session:
        audited = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.record_type == "WorkspaceLink")
            )
        )
    assert [(e.action, e.channel) for e in audited] == [
        ("created", "cli"),
        ("created", "cli"),
        ("deleted", "cli"),
    ]


async def test_a_slack_workspace_is_linked_and_unlinked(
    db: Database, clock: FixedClock, apbot: Apbot
) -> None:
    await build_world(db, clock)

    ran = await apbot("workspaces", "link", "T0PATHWAYS", "--org", "Pathways AP Academy")
    assert ran.code == 0, ran.err
    assert ran.out.startswith("Mapped Slack workspace T0PATHWAYS to Pathways AP Academy")
    assert "T0PATHWAYS" in (await apbot("workspaces", "list")).out
    assert (
        await apbot("workspaces", "unlink", "T0PATHWAYS", "--org", "Pathways AP Academy")
    ).code == 0
    assert await _mapped(db, "slack", "T0PATHWAYS") == set()


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("tenants", "link", "contoso.onmicrosoft.com", "--org", "Elm Park School"), "GUID"),
        (("tenants", "link", TENANT, "--org", "Nowhere High"), "No organisation is called"),
        (("workspaces", "link", "C0123ABCD", "--org", "Elm Park School"), "starts with T"),
        (("workspaces", "unlink", "T0NEVER", "--org", "Elm Park School"), "is not mapped to"),
        (("tenants", "unlink", TENANT, "--org", "Nowhere High"), "No organisation is called"),
    ],
)
async def test_mistakes_are_refused_with_exit_code_2(
    db: Database, clock: FixedClock, apbot: Apbot, argv: tuple[str, ...], says: str
) -> None:
    await build_world(db, clock)

    ran = await apbot(*argv)

    assert ran.code == 2
    assert says in ran.err
    async with db.sessions() as session:
        assert await workspaces.list_workspaces(session) == []
