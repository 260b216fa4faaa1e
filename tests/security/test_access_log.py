"""The access log never holds a query string: Slack's OAuth callback brings a one-time code and
a state in it (`apbot serve` logs with `PathOnlyAccessLog`)."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from aiohttp import web

from bot.server import PathOnlyAccessLog


async def test_the_oauth_code_in_a_query_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    app = web.Application()

    async def callback(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_get("/slack/oauth_redirect", callback)
    runner = web.AppRunner(app, access_log_class=PathOnlyAccessLog)  # as `apbot serve` has it
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/slack/oauth_redirect"
            async with http.get(
                url, params={"code": "4242.SECRET-CODE", "state": "STATE-XYZ"}
            ) as a:
                assert a.status == 200
    finally:
        await runner.cleanup()
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "aiohttp.access")
    assert '"GET /slack/oauth_redirect" 200' in logged
    assert "SECRET-CODE" not in logged and "STATE-XYZ" not in logged
