"""Fixtures for the Teams channel: the fake Bot Framework connector and the bot's web app
(tests/support/teams.py)."""

from __future__ import annotations

from tests.support.teams import client, connector, waits

__all__ = ["client", "connector", "waits"]
