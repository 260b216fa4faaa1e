"""Finding 10: a provider's shared channel is that provider's.

Only its staff, and staff of the schools with a pupil placed there, can use the bot in it;
only its placements are offered or named there (the closing confirmation is posted for the
channel to read, so another provider's reference would leak to it); a DSL's `status` there
shows counts only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from storage.clock import FixedClock
from storage.models import DialogState, Placement
from tests.support.database import Database
from tests.support.factories import World, build_world, place
from tests.support.slack import Posted, SlackWorkspace
from tests.support.slack_world import slack_workspace

ADMIN, PATHWAYS, WHEELS, TEACHER, OTHER_TEACHER, DSL = (
    "UADMIN",
    "UPATHWAYS",
    "UWHEELS",
    "UTEACHER",
    "UOTHERTEACHER",
    "UDSL",
)
OFFICER = "UOFFICER"
CHANNEL = "CPATHWAYS"


@pytest.fixture
async def workspace(db: Database, clock: FixedClock) -> AsyncIterator[SlackWorkspace]:
    async with slack_workspace(db, clock) as workspace:
        yield workspace


async def _two_providers(
    db, clock, workspace: SlackWorkspace
) -> tuple[World, Placement, Placement]:
    """Elm Park places one pupil at Pathways (whose channel this is) and one at Wheels;
    Birch Lane places its pupil at Wheels only."""
    world = await build_world(db, clock)
    for user, person in (
        (ADMIN, world.admin),
        (PATHWAYS, world.provider_staff),
        (WHEELS, world.unregistered_staff),
        (TEACHER, world.teacher),
        (OTHER_TEACHER, world.other_teacher),
        (DSL, world.dsl),
        (OFFICER, world.la_officer),
    ):
        workspace.api.add_user(user, email=person.email)
    today = clock.now().date()
    async with db.sessions() as session, session.begin():
        here = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=today,
        )
        elsewhere = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.fsm_pupil,
            provider=world.unregistered,
            start=today,
        )
        await place(
            session,
            clock,
            by=world.other_teacher,
            pupil=world.other_pupil,
            provider=world.unregistered,
            start=today,
        )
    await workspace.command(ADMIN, "link-channel Pathways AP Academy", channel=CHANNEL)
    return world, here, elsewhere


def _said_here(workspace: SlackWorkspace, since: int) -> list[Posted]:
    return [p for p in workspace.posted(channel=CHANNEL)[since:]]


async def test_another_providers_staff_cannot_use_the_channel(db, clock, workspace) -> None:
    _, _, elsewhere = await _two_providers(db, clock, workspace)
    for command in ("absent", "present today", f"absent {elsewhere.reference}"):
        seen = len(workspace.posted(channel=CHANNEL))
        await workspace.command(WHEELS, command, channel=CHANNEL)
        said = _said_here(workspace, seen)
        assert len(said) == 1 and said[0].ephemeral and said[0].user == WHEELS
        assert said[0].field is None  # refused: no question, no choices
        assert "a provider you don't work for" in said[0].words.replace("&#x27;", "'")
        assert elsewhere.reference not in said[0].words + said[0].text
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DialogState)) == 0


async def test_a_school_without_pupils_there_cannot_use_the_channel(db, clock, workspace) -> None:
    await _two_providers(db, clock, workspace)
    await workspace.command(OTHER_TEACHER, "absent", channel=CHANNEL)
    said = workspace.last(channel=CHANNEL)
    assert said.ephemeral and said.field is None
    assert "none of your pupils are placed there" in said.words.replace("&#x27;", "'")


async def test_only_this_providers_placements_are_offered_or_named(db, clock, workspace) -> None:
    world, here, elsewhere = await _two_providers(db, clock, workspace)
    await workspace.command(TEACHER, "absent", channel=CHANNEL)
    question = workspace.last(channel=CHANNEL)
    assert question.field == "placement"
    offered = str(question.blocks)
    assert here.reference in offered
    # Initials as the choice shows them ("AP-XXXX · JT · ..."), not as letters of a reference.
    assert elsewhere.reference not in offered
    assert f"· {world.fsm_pupil.initials} ·" not in offered
    await workspace.command(TEACHER, "cancel", channel=CHANNEL)
    # Typed by reference: refused as if it did not exist, here.
    await workspace.command(TEACHER, f"absent {elsewhere.reference}", channel=CHANNEL)
    refused = workspace.last(channel=CHANNEL)
    assert refused.ephemeral and refused.field is None
    assert "can't find a placement" in refused.words.replace("&#x27;", "'")
    # In the teacher's DM, both are theirs to report on, as before.
    await workspace.dm(TEACHER, "absent")
    private = str(workspace.last(user=TEACHER).blocks)
    assert here.reference in private and elsewhere.reference in private


async def test_a_dsls_status_in_the_channel_shows_counts_only(db, clock, workspace) -> None:
    world, here, elsewhere = await _two_providers(db, clock, workspace)
    await workspace.dm(DSL, "status")
    private = workspace.last(user=DSL).words
    assert here.reference in private  # what is due, placement by placement, in the DM

    await workspace.command(DSL, "status", channel=CHANNEL)
    shown = workspace.last(channel=CHANNEL)
    said = shown.words + shown.text
    assert shown.ephemeral and "overdue" in said and "due soon" in said
    for named in (
        here.reference,
        elsewhere.reference,
        world.pupil.initials,
        world.pupil.first_name,
    ):
        assert named not in said
    assert "You have 1 active placement(s)." in said  # this provider's only
    # One placement's status there: the checklist counted, not listed.
    await workspace.command(DSL, f"status {here.reference}", channel=CHANNEL)
    one = workspace.last(channel=CHANNEL)
    assert one.ephemeral and "Checklist:" in one.words and "to do" in one.words
    assert "Letter of Assurance" not in one.words and world.pupil.first_name not in one.words
    await workspace.dm(DSL, f"status {here.reference}")
    assert "Letter of Assurance" in workspace.last(user=DSL).words
    # An LA officer overseeing the school's placements: the same counts, nothing named.
    await workspace.command(OFFICER, "status", channel=CHANNEL)
    shown = workspace.last(channel=CHANNEL)
    assert "You have 1 active placement(s)." in shown.words and here.reference not in shown.words
