"""The test database: what a test is given (`Database`), the fixed key and time every test
starts from, and the PostgreSQL server the suite may also run on (TEST_POSTGRES_URL).

The fixtures that make a database for each test are in tests/conftest.py."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.clock import LONDON
from storage.db import admin_execute, normalise_url

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
# Tests encrypt with a fixed key (production keys come from ENCRYPTION_KEYS).
TEST_KEY = "q7y8b0lJwR3V2m3B3i0k6sO1pQxW9e4Zc5t7u8v9w0A="
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]
# On PostgreSQL the suite runs as production does: the tables are owned (and migrated) by one
# role, the bot connects as another with only the rights `apbot migrate` grants it. The roles
# are made if missing (.ci/run makes them first); TEST_POSTGRES_URL's user (a superuser) only
# creates and drops each run's database and clears it between tests.
POSTGRES_OWNER_ROLE = os.environ.get("TEST_POSTGRES_OWNER_ROLE", "apbot_test_owner")
POSTGRES_APP_ROLE = os.environ.get("TEST_POSTGRES_APP_ROLE", "apbot_test_app")
# Friday 27 November 2026, 10:00 in London: a school day.
TEST_NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=LONDON)


@dataclass
class Database:
    """A migrated, empty database for one test."""

    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    backend: str


def postgres_url(database: str, user: str | None = None) -> str:
    """TEST_POSTGRES_URL's server, for `database`, as `user` (trust auth: no password)."""
    assert POSTGRES_URL, "TEST_POSTGRES_URL is not set"
    url = make_url(normalise_url(POSTGRES_URL)).set(database=database)
    if user is not None:
        url = url.set(username=user, password=None)
    return url.render_as_string(hide_password=False)


async def ensure_role(role: str) -> None:
    """Create a login role unless it exists (two test runs may race to make it)."""
    assert POSTGRES_URL
    await admin_execute(
        POSTGRES_URL,
        f"DO $$ BEGIN CREATE ROLE {role} LOGIN; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$",
    )
