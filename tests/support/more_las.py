"""More of England for tests that check a cost stays flat as the country grows: another LA,
with an officer and a school whose pupils are placed at a provider (see `another_la`)."""

from __future__ import annotations

from storage.clock import Clock
from storage.models import Organisation, OrgKind, Placement, Role
from storage.services import directory
from storage.services.audit import Change
from tests.support.database import Database
from tests.support.factories import World, place
from tests.support.world import START


async def another_la(
    db: Database, clock: Clock, world: World, *, n: int, provider: Organisation, pupils: int
) -> list[Placement]:
    """LA number `n` (named after it), its officer, a school and a teacher, and `pupils` of
    the school placed at `provider` full-time there (20 hours) from Monday 02/11/2026, the
    first of them looked after: enough for the registration alert if `provider` is
    unregistered."""
    change = Change(person_id=world.admin.id, channel="test", at=clock.now())
    async with db.sessions() as session, session.begin():
        la = await directory.add_organisation(
            session, change, kind=OrgKind.local_authority, name=f"Shire {n} Council"
        )
        school = await directory.add_organisation(
            session, change, kind=OrgKind.school, name=f"Shire {n} School", urn=f"91{n:04d}",
            la_id=la.id,
        )  # fmt: skip
        await directory.add_person(
            session, change, name=f"Olive Officer{n}", email=f"officer{n}@shire.test",
            role=Role.la_officer, organisation_id=la.id,
        )  # fmt: skip
        teacher = await directory.add_person(
            session, change, name=f"Tom Teacher{n}", email=f"teacher{n}@shire.test",
            role=Role.teacher, organisation_id=school.id,
        )  # fmt: skip
        placed = []
        for k in range(pupils):
            pupil = await directory.add_pupil(
                session, change, home_org_id=school.id, first_name=f"Pip{k}",
                last_name=f"Shirepupil{n}", year_group=9, looked_after=k == 0,
            )  # fmt: skip
            placement = await place(
                session, clock, by=teacher, pupil=pupil, provider=provider, start=START,
                provider_hours="20", school_hours="12.5",
            )  # fmt: skip
            placed.append(placement)
    return placed
