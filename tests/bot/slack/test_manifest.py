"""`manifest/slack/manifest.yml` is a valid manifest and asks for exactly what the code uses."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select

from bot.channels.slack.manifest import BOT_EVENTS, BOT_SCOPES, COMMAND, REDIRECT_PATH, Manifest
from storage.models import OutboxMessage
from storage.wording import NoticeKind
from tests.support.factories import build_world

MANIFEST = Path(__file__).parents[3] / "manifest" / "slack" / "manifest.yml"


def load() -> Manifest:
    return Manifest.model_validate(yaml.safe_load(MANIFEST.read_text(encoding="utf-8")))


def test_manifest_is_valid_and_matches_the_code() -> None:
    manifest = load()
    assert [c.command for c in manifest.features.slash_commands] == [COMMAND]
    assert manifest.features.slash_commands[0].should_escape  # @mentions arrive as <@U...>
    assert set(manifest.oauth_config.scopes.bot) == BOT_SCOPES
    assert manifest.oauth_config.scopes.user == []
    events = manifest.settings.event_subscriptions
    assert events is not None and set(events.bot_events) == BOT_EVENTS
    assert manifest.settings.interactivity and manifest.settings.interactivity.is_enabled
    home = manifest.features.app_home
    assert home and home.home_tab_enabled and home.messages_tab_enabled
    assert not home.messages_tab_read_only_enabled  # people type to the bot
    assert manifest.features.bot_user is not None
    assert manifest.settings.socket_mode_enabled
    # Many workspaces: Slack sends each installer back to our redirect path.
    assert [url.endswith(REDIRECT_PATH) for url in manifest.oauth_config.redirect_urls] == [True]
    assert manifest.settings.org_deploy_enabled


async def test_every_manifest_event_and_the_command_reach_a_listener(db, clock, workspace) -> None:
    """Each subscribed event, and /ap, makes the bot answer (bolt answers 404 to anything no
    listener matches, and the bot would say nothing)."""
    world = await build_world(db, clock)
    workspace.api.add_user("UTEACHER", email=world.teacher.email)
    samples = {
        "message.im": (
            {
                "type": "message",
                "channel_type": "im",
                "channel": "DUTEACHER",
                "user": "UTEACHER",
                "text": "help",
            },
            "chat.postMessage",
        ),
        "app_home_opened": (
            {"type": "app_home_opened", "user": "UTEACHER", "channel": "DUTEACHER", "tab": "home"},
            "views.publish",
        ),
    }
    removed = {
        "app_uninstalled": {"type": "app_uninstalled"},
        "tokens_revoked": {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}},
    }
    assert set(samples) | set(removed) == set(load().settings.event_subscriptions.bot_events)  # type: ignore[union-attr]
    for event, method in samples.values():
        workspace.api.clear()
        assert await workspace.post(workspace.event_body(event), "application/json") == 200
        assert method in workspace.api.methods()
    for event in removed.values():  # the admins are told
        assert await workspace.post(workspace.event_body(event), "application/json") == 200
    async with db.sessions() as session:
        told = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == NoticeKind.slack_workspace_removed)
        )
        assert len(list(told)) == 2
    workspace.api.clear()
    assert await workspace.command("UTEACHER", "help") == 200
    assert "chat.postMessage" in workspace.api.methods()
