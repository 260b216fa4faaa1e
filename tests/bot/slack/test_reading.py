"""Reading the record in a Slack DM: the words of `history` and `more` arrive as the DSL reads
them in the terminal (escaped, split to fit), a page at a time."""

from __future__ import annotations

from storage.services.chronology import SYSTEM_AUTHOR
from tests.support.factories import (
    AUTOMATIC_ENTRY,
    PRIVATE_ENTRY,
    VISIT_VOICE,
    build_world,
    record_to_read,
)
from tests.support.slack import SlackWorkspace

DSL = "UDSL"


async def test_the_dsl_reads_the_history_in_a_dm(db, clock, workspace: SlackWorkspace) -> None:
    world = await build_world(db, clock)
    record = await record_to_read(db, clock, world)
    reference = record.placement.reference
    workspace.api.add_user(DSL, email=world.dsl.email)

    await workspace.dm(DSL, f"history {reference}")
    first = workspace.last(user=DSL).words
    assert f"History of {reference} (Jamie Testpupil), newest first" in first
    assert "• 27/11/2026 · " in first and "Type more for the next 6 of 6 left." in first

    await workspace.dm(DSL, "more")
    second = workspace.last(user=DSL).words
    assert "(continued)" in second and VISIT_VOICE in second
    both = first + second
    assert PRIVATE_ENTRY in both and AUTOMATIC_ENTRY in both and f"by {SYSTEM_AUTHOR}" in both
    assert "the pupil's voice" in second
    assert "placement started at Pathways AP Academy" in second
