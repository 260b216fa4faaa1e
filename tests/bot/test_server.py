"""The web server: health answers with the database's state."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from bot.runtime import Runtime
from bot.server import build_app
from bot.settings import Settings
from storage.db import create_engine, session_factory


async def test_healthz_reports_the_database(db, clock) -> None:
    runtime = Runtime(Settings(database_url=db.url), db.engine, db.sessions, clock)
    async with TestClient(TestServer(build_app(runtime))) as client:
        response = await client.get("/healthz")
        body = await response.json()
    assert response.status == 200
    assert body["status"] == "ok" and body["database"] == "ok"


async def test_healthz_says_unhealthy_when_the_database_is_gone(clock) -> None:
    url = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    engine = create_engine(url)
    runtime = Runtime(Settings(database_url=url), engine, session_factory(engine), clock)
    async with TestClient(TestServer(build_app(runtime))) as client:
        response = await client.get("/healthz")
        body = await response.json()
    await engine.dispose()
    assert response.status == 503 and body["database"] == "unavailable"
