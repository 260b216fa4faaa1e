"""The contract suite runs every channel on the fault tests' database (a switch takes it away),
so that "the database is down mid-turn" is one scenario like the others."""

from __future__ import annotations

from tests.faults.conftest import (  # noqa: F401  (fixtures, shared with tests/faults)
    connector,
    faulty,
    slack_api,
    slack_on_faulty,
    teams_on_faulty,
)
