"""The two servers the webhook benchmark talks to, each run as its own process.

    python -m benchmarks.ack_servers baseline
    python -m benchmarks.ack_servers fakes
    python -m benchmarks.ack_servers bot --database-url URL [--encryption-key KEY] \
        --slack-api-url URL --connector-url URL --response-url URL

`baseline` is a bare aiohttp app whose one handler returns 200. `fakes` runs the Slack Web API
(`tests/fakes/slack_api.py`) and the Bot Framework connector (`tests/fakes/bot_connector.py`),
knowing the demo users, in a process of their own (so their CPU is not counted in the bot's
event loop), with `GET /counts`: the calls each has had. `bot` is our real server
(`bot.server.build_app`) on a migrated database with the demo data, Slack on (signing secret,
bot token, the fake Web API) and Teams without an app id on loopback (the fake connector);
it runs the turns it acknowledges, as `apbot serve` does. Each listens on 127.0.0.1 only,
prints one line `READY <port> [<urls>]` and runs until SIGTERM. The bot also serves
`POST /_bench/drain`, which answers once the work after the acks has finished, so one case's
work does not spill into the next.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import Any

from aiohttp import web

from bot.server import freeze_what_startup_made

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
    freeze_what_startup_made()  # as `apbot serve` does (every server here, the baseline too)
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


async def serve_fakes() -> None:
    from tests.fakes.bot_connector import FakeBotConnector
    from tests.fakes.slack_api import FakeSlackApi

    async with FakeSlackApi() as slack_api, FakeBotConnector() as connector:
        for slack_user, teams_user, aad, email in DEMO_USERS:
            slack_api.add_user(slack_user, email=email)
            connector.add_member(teams_user, email=email, aad_object_id=aad)

        async def counts(request: web.Request) -> web.Response:
            return web.json_response(
                {"slack_calls": len(slack_api.calls), "teams_calls": len(connector.sent)}
            )

        app = web.Application()
        app.router.add_get("/counts", counts)
        urls = f"{slack_api.api_url} {connector.url} {slack_api.response_url('bench')}"
        await _serve_until_stopped(app, urls)


async def serve_bot(
    database_url: str,
    encryption_key: str | None,
    slack_api_url: str,
    connector_url: str,
    response_url: str,
) -> None:
    # Imported here so the baseline process stays a bare aiohttp app.
    from bot.channels.slack.app import SLACK
    from bot.channels.teams.routes import TEAMS
    from bot.runtime import open_runtime
    from bot.server import build_app, turn_queues
    from storage.clock import SystemClock
    from storage.db import transaction
    from storage.demo import seed_demo
    from storage.services import inbound_queue

    settings = bench_settings(database_url, encryption_key, slack_api_url)
    async with open_runtime(settings, clock=SystemClock()) as runtime:
        async with transaction(runtime.sessions) as session:
            await seed_demo(session, clock=runtime.clock)
        app = build_app(runtime)
        slack = app[SLACK]
        stop_turns = asyncio.Event()
        queues = turn_queues(app) if settings.serve_runs_turns else []
        workers = [asyncio.ensure_future(queue.run(stop_turns)) for queue in queues]

        async def drain(request: web.Request) -> web.Response:
            # Until every turn acknowledged has run: those in hand, and those kept waiting
            # (for a person's earlier turn, or for the separate worker process).
            while True:
                await slack.work.drain()
                await app[TEAMS].adapter.work.drain()
                async with transaction(runtime.sessions) as session:
                    if not await inbound_queue.waiting(session):
                        return web.json_response({})
                await asyncio.sleep(0.05)  # the worker loop claims the next ones

        app.router.add_post("/_bench/drain", drain)
        try:
            await _serve_until_stopped(app, f"{connector_url} {response_url}")
        finally:
            stop_turns.set()
            await asyncio.gather(*workers)


async def serve_worker(database_url: str, encryption_key: str | None, slack_api_url: str) -> None:
    """`apbot worker`, as the bot's settings here make it: the turns the bot acknowledged."""
    from bot.runtime import open_runtime
    from bot.server import build_app, turn_queues
    from storage.clock import SystemClock

    settings = bench_settings(database_url, encryption_key, slack_api_url)
    async with open_runtime(settings, clock=SystemClock()) as runtime:
        app = build_app(runtime)
        runner = web.AppRunner(app)
        await runner.setup()
        freeze_what_startup_made()  # as `apbot worker` does
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        print("READY 0", flush=True)
        try:
            await asyncio.gather(*(queue.run(stop) for queue in turn_queues(app)))
        finally:
            await runner.cleanup()


def bench_settings(database_url: str, encryption_key: str | None, slack_api_url: str) -> Any:
    from bot.settings import Settings

    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        host="127.0.0.1",
        teams_local_trial=True,
        slack_bot_token=BOT_TOKEN,  # type: ignore[arg-type]
        slack_signing_secret=SIGNING_SECRET,  # type: ignore[arg-type]
        slack_api_url=slack_api_url,
        encryption_keys=encryption_key,  # type: ignore[arg-type]
        scheduler_enabled=False,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("which", choices=["baseline", "fakes", "bot", "worker"])
    parser.add_argument("--database-url")
    parser.add_argument("--encryption-key")
    parser.add_argument("--slack-api-url")
    parser.add_argument("--connector-url")
    parser.add_argument("--response-url")
    args = parser.parse_args(argv)
    # Warnings only: a log line per request would be measured too (aiohttp's access log is off).
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if args.which == "baseline":
        asyncio.run(serve_baseline())
        return 0
    if args.which == "fakes":
        asyncio.run(serve_fakes())
        return 0
    from storage.migrate import upgrade

    if args.which == "worker":
        asyncio.run(serve_worker(args.database_url, args.encryption_key, args.slack_api_url))
        return 0
    upgrade(args.database_url)  # Alembic runs its own loop, so before ours starts
    asyncio.run(
        serve_bot(
            args.database_url,
            args.encryption_key,
            args.slack_api_url,
            args.connector_url,
            args.response_url,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
