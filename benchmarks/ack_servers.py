"""The two servers the webhook benchmark talks to, each run as its own process.

    python -m benchmarks.ack_servers baseline
    python -m benchmarks.ack_servers bot --database-url URL [--encryption-key KEY]

`baseline` is a bare aiohttp app whose one handler returns 200. `bot` is our real server
(`bot.server.build_app`) on a migrated database with the demo data, Slack on (signing secret,
bot token, the Web API played by `tests/fakes/slack_api.py`) and Teams without an app id on
loopback (the connector played by `tests/fakes/bot_connector.py`). The fakes share the bot's
process and event loop, as in the tests. Both listen on 127.0.0.1 only, print one line
`READY <port> [<connector url> <a response_url>]` and run until SIGTERM. The bot also serves
`POST /_bench/drain`, which answers once Slack's background work has finished, so one case's
work does not spill into the next.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from aiohttp import web

SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-token"

# The demo people, as Slack users and Teams users: (Slack user id, Teams user id, AAD id, email).
DEMO_USERS = [
    (f"UBENCH{n:02d}", f"29:bench-{n:02d}", f"aad-bench-{n:02d}", email)
    for n, email in enumerate(
        (
            "teacher@oakfield.example",
            "dsl@oakfield.example",
            "deputy.dsl@oakfield.example",
            "teacher@riverside.example",
            "dsl@riverside.example",
            "office@horizon.example",
            "manager@horizon.example",
            "office@bridgeway.example",
            "office@secondchance.example",
            "officer@northbrook.example",
        )
    )
]


async def _serve_until_stopped(app: web.Application, extra: str = "") -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(f"READY {port} {extra}".strip(), flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


async def serve_baseline() -> None:
    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/{tail:.*}", ok)
    await _serve_until_stopped(app)


async def serve_bot(database_url: str, encryption_key: str | None) -> None:
    # Imported here so the baseline process stays a bare aiohttp app.
    from bot.channels.slack.app import SLACK
    from bot.channels.teams.routes import TEAMS
    from bot.runtime import open_runtime
    from bot.server import build_app
    from bot.settings import Settings
    from storage.clock import SystemClock
    from storage.db import transaction
    from storage.demo import seed_demo
    from tests.fakes.bot_connector import FakeBotConnector
    from tests.fakes.slack_api import FakeSlackApi

    async with FakeSlackApi() as slack_api, FakeBotConnector() as connector:
        for slack_user, teams_user, aad, email in DEMO_USERS:
            slack_api.add_user(slack_user, email=email)
            connector.add_member(teams_user, email=email, aad_object_id=aad)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=database_url,
            host="127.0.0.1",
            teams_local_trial=True,
            slack_bot_token=BOT_TOKEN,  # type: ignore[arg-type]
            slack_signing_secret=SIGNING_SECRET,  # type: ignore[arg-type]
            slack_api_url=slack_api.api_url,
            encryption_keys=encryption_key,  # type: ignore[arg-type]
            scheduler_enabled=False,
        )
        async with open_runtime(settings, clock=SystemClock()) as runtime:
            async with transaction(runtime.sessions) as session:
                await seed_demo(session, clock=runtime.clock)
            app = build_app(runtime)
            slack = app[SLACK]

            async def drain(request: web.Request) -> web.Response:
                await slack.work.drain()
                await app[TEAMS].adapter.work.drain()
                return web.json_response(
                    {"slack_calls": len(slack_api.calls), "teams_calls": len(connector.sent)}
                )

            app.router.add_post("/_bench/drain", drain)
            await _serve_until_stopped(app, f"{connector.url} {slack_api.response_url('bench')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("which", choices=["baseline", "bot"])
    parser.add_argument("--database-url")
    parser.add_argument("--encryption-key")
    args = parser.parse_args(argv)
    # Warnings only: a log line per request would be measured too (aiohttp's access log is off).
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if args.which == "baseline":
        asyncio.run(serve_baseline())
        return 0
    from storage.migrate import upgrade

    upgrade(args.database_url)  # Alembic runs its own loop, so before ours starts
    asyncio.run(serve_bot(args.database_url, args.encryption_key))
    return 0


if __name__ == "__main__":
    sys.exit(main())
