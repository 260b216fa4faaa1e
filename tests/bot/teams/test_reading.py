"""Reading the record in a Teams personal chat: `chronology` reads as in the terminal, with the
automatic entry's author and UK dates."""

from __future__ import annotations

from storage.services.chronology import SYSTEM_AUTHOR
from tests.support.factories import (
    AUTOMATIC_ENTRY,
    PRIVATE_ENTRY,
    SHARED_ENTRY,
    build_world,
    record_to_read,
)
from tests.support.teams import Chat, TeamsUser, text_of


async def test_the_dsl_reads_the_chronology_in_a_personal_chat(
    db, clock, client, connector
) -> None:
    world = await build_world(db, clock)
    record = await record_to_read(db, clock, world)
    reference = record.placement.reference
    connector.add_member("29:dee", email=world.dsl.email, aad_object_id="aad-dee")
    dee = TeamsUser(client, connector, "29:dee", "aad-dee")

    said = text_of(await dee.say(f"chronology {reference}", Chat.personal("dee")))
    assert f"Chronology of {reference} (Jamie Testpupil), newest first: 4 entries" in said
    assert "• 26/11/2026 · concern (from the school): Recorded automatically" in said
    assert AUTOMATIC_ENTRY in said and f"by {SYSTEM_AUTHOR}" in said
    assert PRIVATE_ENTRY in said and SHARED_ENTRY in said
