"""A Slack workspace talking to our aiohttp app, with the Slack Web API faked locally
(tests/support/slack.py)."""

from __future__ import annotations

from tests.support.slack import slack_api, workspace

__all__ = ["slack_api", "workspace"]
