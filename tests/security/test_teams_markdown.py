"""Issue 13, finding 6: Teams reads what the bot sends as markdown, so a provider's absence
reason `[Open the portal](https://phish.example)` reached the DSL as a masked link. Now every
text is escaped for Teams as it is for Slack: the DSL sees the words, not a link."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from aiohttp.test_utils import TestClient

from bot.channels.teams.deliverer import TeamsDeliverer
from bot.channels.teams.routes import TEAMS
from bot.scheduler import OutboxWorker
from storage.models import RegisterSession
from storage.services.attendance import report_absence
from storage.services.audit import Change
from tests.fakes.bot_connector import FakeBotConnector
from tests.support.factories import build_world, place
from tests.support.scheduler import clock_sleep
from tests.support.teams import Chat, TeamsUser, text_of

PHISH = "[Open the portal](https://phish.example)"
# A markdown link: [words](address), its brackets not escaped.
MASKED_LINK = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(")


async def test_an_absence_reason_reaches_the_dsl_as_words_not_a_link(
    db, clock, client: TestClient[Any, Any], connector: FakeBotConnector
) -> None:
    world = await build_world(db, clock)
    connector.add_member("29:dee", upn=world.dsl.email, aad_object_id="aad-dee")
    await TeamsUser(client, connector, "29:dee", "aad-dee").say("help", Chat.personal("dee"))
    connector.clear()
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=dt.date(2026, 11, 2),
        )
        await report_absence(
            session,
            Change(person_id=world.provider_staff.id, channel="teams", at=clock.now()),
            placement=placement,
            date=clock.now().date(),
            sessions=[RegisterSession.am],
            code="N",
            reason=f"Unwell. {PHISH} *urgent*",
        )
    teams = client.app[TEAMS]
    worker = OutboxWorker(
        db.sessions,
        clock,
        [TeamsDeliverer(teams.adapter, teams.sessions)],
        sleep=clock_sleep(clock),
    )
    await worker.deliver_due()
    shown = text_of(connector.delivered())
    assert r"\[Open the portal\](https://phish.example)" in shown  # the words, escaped
    assert not MASKED_LINK.search(shown)
    assert r"\*urgent\*" in shown


async def test_what_a_person_typed_is_echoed_as_words(
    db, clock, client: TestClient[Any, Any], connector: FakeBotConnector
) -> None:
    """The dialog's own replies (a question quoting an answer, an error repeating it)."""
    world = await build_world(db, clock)
    connector.add_member("29:tess", upn=world.teacher.email, aad_object_id="aad-tess")
    tess = TeamsUser(client, connector, "29:tess", "aad-tess")
    said = await tess.say(f"status {PHISH}", Chat.personal("tess"))
    said += await tess.say(PHISH, Chat.personal("tess"))
    shown = text_of(said)
    assert r"\[" in shown  # what was typed is quoted back, its bracket escaped
    assert not re.search(r"(?<!\\)\[", shown)
