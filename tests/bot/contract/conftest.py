"""The contract suite runs every channel on the fault tests' database (a switch takes it away),
so that "the database is down mid-turn" is one scenario like the others."""

from __future__ import annotations

from tests.support.faulty import (
    connector,
    faulty,
    slack_api,
    slack_on_faulty,
    teams_on_faulty,
)

__all__ = ["connector", "faulty", "slack_api", "slack_on_faulty", "teams_on_faulty"]
