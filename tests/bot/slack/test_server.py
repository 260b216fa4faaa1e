"""The server with and without Slack settings, and `apbot channels ...`."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.slack.app import slack_status
from bot.cli import main
from bot.runtime import Runtime
from bot.server import build_app
from bot.settings import Settings, get_settings
from storage.migrate import upgrade


async def test_without_slack_settings_the_server_starts_and_says_slack_is_off(
    db, clock, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(_env_file=None, database_url=db.url)  # type: ignore[call-arg]
    runtime = Runtime(settings=settings, engine=db.engine, sessions=db.sessions, clock=clock)
    with caplog.at_level(logging.INFO):
        app = build_app(runtime)
    assert (
        "Slack is off (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to turn it on)" in caplog.text
    )
    assert slack_status(app).startswith("Slack is off")
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/healthz")).status == 200
        assert (await client.post("/slack/events", data="{}")).status in (404, 405)


def test_channels_link_list_unlink(tmp_path: Path, monkeypatch, capsys) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ap.db'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        assert main(["orgs", "add", "--kind", "local_authority", "--name", "Testshire"]) == 0
        for name in ("Pathways AP", "Wheels"):
            added = ["orgs", "add", "--kind", "provider", "--name", name, "--la", "Testshire"]
            assert main([*added, "--registration", "unregistered"]) == 0
        capsys.readouterr()
        link = ["channels", "link", "--platform", "slack", "--channel", "C123"]
        assert main([*link, "--org", "pathways ap", "--name", "#pathways"]) == 0
        assert "Linked slack channel C123 to Pathways AP" in capsys.readouterr().out
        assert main([*link, "--org", "Wheels"]) == 2
        assert "already linked to Pathways AP" in capsys.readouterr().err
        assert main(["channels", "link", "--channel", "C9", "--org", "Nowhere"]) == 2
        capsys.readouterr()
        assert main(["channels", "list", "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert listed == [
            {
                "platform": "slack",
                "channel": "C123",
                "name": "#pathways",
                "organisation": "Pathways AP",
            }
        ]
        assert main(["channels", "unlink", "--channel", "C123"]) == 0
        assert main(["channels", "list"]) == 0
        assert "No shared channels" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()
