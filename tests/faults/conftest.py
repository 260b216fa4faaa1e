"""The fault tests' fixtures: the database behind a switch, the app on it with Slack or Teams,
and the platforms' fakes (tests/support/faulty.py)."""

from __future__ import annotations

from tests.support.faulty import (
    connector,
    faulty,
    slack_api,
    slack_on_faulty,
    slack_workspace,
    teams_client,
    teams_on_faulty,
)

__all__ = [
    "connector",
    "faulty",
    "slack_api",
    "slack_on_faulty",
    "slack_workspace",
    "teams_client",
    "teams_on_faulty",
]
