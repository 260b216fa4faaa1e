"""`apbot migrate` and `apbot serve`."""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from aiohttp import web

from bot.cli.runner import opened
from bot.runtime import open_runtime
from bot.settings import get_settings
from storage.db import is_sqlite, normalise_url, transaction
from storage.migrate import grant_app_role, upgrade
from storage.services.encryption import reencrypt

log = logging.getLogger("apbot")


def register(subparsers: Any) -> None:
    migrate = subparsers.add_parser("migrate", help="create or update the database tables")
    migrate.add_argument("--quiet", action="store_true", help="print nothing when all is well")
    migrate.set_defaults(handler=run_migrate)
    serve = subparsers.add_parser("serve", help="run the bot's web server (Slack, Teams, health)")
    serve.set_defaults(handler=run_serve)


def _where(url: str) -> str:
    """The database, described without its password."""
    from sqlalchemy.engine import make_url

    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {parsed.database}"
    return f"PostgreSQL database {parsed.database} on {parsed.host}"


async def encrypt_plain_values() -> dict[str, int]:
    """After a migration: encrypt any value still in plain text (written before encryption)."""
    async with open_runtime() as runtime, transaction(runtime.sessions) as session:
        return await reencrypt(session, only_plain=True)


def run_migrate(args: argparse.Namespace) -> int:
    settings = get_settings()
    # As the owner of the tables; the bot itself (DATABASE_URL) may be a restricted role.
    owner_url = settings.migration_database_url or settings.database_url
    upgrade(owner_url)
    if settings.database_app_role:
        asyncio.run(grant_app_role(owner_url, settings.database_app_role))
        if not args.quiet and not is_sqlite(normalise_url(owner_url)):
            print(
                f"Granted role {settings.database_app_role} what the bot needs "
                "(the audit log: INSERT and SELECT only)."
            )
    encrypted = asyncio.run(encrypt_plain_values())
    if encrypted and not args.quiet:
        print(f"Encrypted {sum(encrypted.values())} value(s) written before encryption.")
    if not args.quiet:
        print(f"Database ready: {_where(owner_url)}.")
    return 0


async def serve() -> None:
    # The channels load their SDKs (botbuilder, slack-bolt) only when the server starts, so
    # every other `apbot` command starts quickly.
    from bot.channels.slack.app import slack_status
    from bot.channels.slack.socket_mode import start_socket_mode
    from bot.channels.teams.routes import teams_status
    from bot.scheduler.background import export_sweep, start_scheduler
    from bot.server import PathOnlyAccessLog, build_app, freeze_what_startup_made, turn_queues

    settings = get_settings()
    # Stops here if the database is not migrated, or the key does not open the data.
    async with opened() as runtime:
        export_sweep(runtime).run(runtime.clock.now())  # exports past EXPORTS_KEEP_HOURS
        app = build_app(runtime)
        runner = web.AppRunner(app, access_log_class=PathOnlyAccessLog)
        await runner.setup()
        freeze_what_startup_made()  # see bot.server: a full collection walks less
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        slack_socket = await start_socket_mode(app)
        scheduler = start_scheduler(app, runtime)  # nudges and digests, a pass every minute
        # The turns acknowledged by this process (or by one that died) are run here, unless
        # separate `apbot worker` processes run them (SERVE_RUNS_TURNS=false).
        runs_turns = settings.serve_runs_turns and settings.durable_inbound
        stop_turns = asyncio.Event()
        turn_workers = [
            asyncio.create_task(queue.run(stop_turns), name=f"{queue.platform} turns")
            for queue in (turn_queues(app) if runs_turns else [])
        ]
        base = f"http://{settings.host}:{settings.port}"
        print(
            f"AP Safeguard is listening on {base} ({_where(settings.database_url)}).\n"
            f"  Health:     {base}/healthz\n"
            f"  Slack:      {slack_status(app)}\n"
            f"  Teams:      {teams_status(app)}\n"
            f"  Scheduler:  {'on, every minute' if scheduler else 'off (SCHEDULER_ENABLED=false)'}\n"
            f"  Turns:      {'run by `apbot worker`' if settings.durable_inbound and not runs_turns else 'run here'}\n"
            "  Try it now: in another terminal, run `make chat` to talk to the bot as a demo\n"
            "              teacher (or `make chat AS=dsl@oakfield.example`).\n"
            "  Stop with Ctrl-C.",
            flush=True,
        )
        try:
            await asyncio.Event().wait()
        finally:
            stop_turns.set()
            await asyncio.gather(*turn_workers)
            if scheduler is not None:
                await scheduler.stop()
            if slack_socket is not None:
                await slack_socket.close_async()
            await runner.cleanup()


def run_serve(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=get_settings().log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        print("Stopped.")
    return 0
