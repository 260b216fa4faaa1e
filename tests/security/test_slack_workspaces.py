"""Attacks on Slack in many workspaces (OAuth mode).

- **Forged or replayed state**: an install finished with a state we never issued (or one
  already used) is refused before the code is exchanged, so nobody can plant their workspace's
  installation through someone else's browser, or install twice with one state.
- **A workspace with no installation**: a request signed with our signing secret (every
  workspace that ever added the app sends those) for a team we hold no installation of is
  refused with 403, before any listener runs; nothing is said in Slack, and the log says why
  without a word of what was sent.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import func, select

from storage.models import slack_bots, slack_installations
from tests.support.factories import build_world
from tests.support.slack_oauth import oauth_slack


async def _installations(db) -> int:
    async with db.engine.connect() as connection:
        count = await connection.scalar(select(func.count()).select_from(slack_installations))
        return int(count or 0)


async def test_an_install_with_a_forged_state_is_refused(db, clock) -> None:
    async with oauth_slack(db, clock) as bot:
        bot.api.add_workspace("TEVIL", name="Evil")
        await bot.start_install()  # a real state exists, but not this one
        forged = "0f8c3a9e-1111-4222-8333-444455556666"
        status, _ = await bot.finish_install(code=bot.api.grant("TEVIL"), state=forged)
        assert status in (400, 401)
        assert not bot.api.calls_to("oauth.v2.access")
        assert await _installations(db) == 0


async def test_an_install_state_works_once(db, clock) -> None:
    async with oauth_slack(db, clock) as bot:
        bot.api.add_workspace("TSCHOOL")
        bot.api.add_workspace("TEVIL")
        started = await bot.start_install()
        first, _ = await bot.finish_install(code=bot.api.grant("TSCHOOL"), state=started.state)
        assert first == 200
        again, _ = await bot.finish_install(code=bot.api.grant("TEVIL"), state=started.state)
        assert again in (400, 401)
        async with db.engine.connect() as connection:
            teams = set(await connection.scalars(select(slack_bots.c.team_id)))
        assert teams == {"TSCHOOL"}


async def test_a_state_from_another_browser_is_refused(db, clock) -> None:
    """The state is tied to the browser that began the install (its cookie)."""
    async with oauth_slack(db, clock) as bot:
        bot.api.add_workspace("TEVIL")
        started = await bot.start_install()
        status, _ = await bot.finish_install(
            code=bot.api.grant("TEVIL"), state=started.state, cookie="someone-else"
        )
        assert status in (400, 401)
        assert await _installations(db) == 0


async def test_a_signed_request_for_a_workspace_with_no_installation_is_refused(
    db, clock, caplog
) -> None:
    async with oauth_slack(db, clock) as bot:
        world = await build_world(db, clock)
        school = await bot.install("TSCHOOL")
        bot.api.add_user("UTEACHER", email=world.teacher.email, team_id="TSCHOOL")
        stranger = bot.workspace("TNOTINSTALLED")  # signed with our secret, as Slack would
        bot.api.clear()
        caplog.set_level(logging.INFO)
        secret = "Jamie told me something at lunch"
        assert await stranger.dm("UTEACHER", secret) == 403
        assert await stranger.command("UTEACHER", f"concern {secret}") == 403
        # A click claiming the installed workspace's user, from the other team's payload.
        body = stranger.event_body({"type": "app_home_opened", "user": "UTEACHER"})
        assert await stranger.post(body, "application/json") == 403
        assert bot.api.calls == []
        assert secret not in caplog.text and "Jamie" not in caplog.text
        assert "no installation" in caplog.text
        # The installed workspace is still answered.
        assert await school.dm("UTEACHER", "help") == 200
        assert bot.api.calls_to("chat.postMessage")


async def test_an_event_naming_an_installed_team_only_in_its_body_text_is_refused(
    db, clock
) -> None:
    """The workspace is the one Slack authorised the event for (`authorizations`), not a team
    id written elsewhere in the body."""
    async with oauth_slack(db, clock) as bot:
        await bot.install("TSCHOOL")
        stranger = bot.workspace("TNOTINSTALLED")
        event = {"type": "message", "channel_type": "im", "user": "U1", "text": "TSCHOOL"}
        body = json.loads(stranger.event_body(event))
        body["event"]["team"] = "TSCHOOL"
        bot.api.clear()
        assert await stranger.post(json.dumps(body), "application/json") == 403
        assert bot.api.calls == []
