"""`apbot worker`: run the turns that `apbot serve` processes acknowledged (issue 17).

On PostgreSQL, `apbot serve` can be left to acknowledge only (`SERVE_RUNS_TURNS=false`) and
the turns run here, in as many worker processes as needed, on any machine that reaches the
database: each claims turns from the inbound queue, one person's turns in order, several
people's at once. With the embedded SQLite default, `apbot serve` runs them itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from typing import Any

from aiohttp import web

from bot.cli.runner import on_database
from bot.runtime import Runtime
from storage.db import is_sqlite, normalise_url

log = logging.getLogger("apbot")


def register(subparsers: Any) -> None:
    worker = subparsers.add_parser(
        "worker",
        help="run the turns the web processes acknowledged (PostgreSQL)",
        description=(
            "Claim acknowledged Slack and Teams deliveries from the database and run their "
            "turns, until stopped (Ctrl-C or SIGTERM). Run as many as needed."
        ),
    )
    worker.set_defaults(handler=on_database(run_worker))


async def run_worker(runtime: Runtime, args: argparse.Namespace) -> int:
    # The channels (and their SDKs) are built as `apbot serve` builds them, without a site.
    from bot.server import build_app, freeze_what_startup_made, turn_queues

    settings = runtime.settings
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if is_sqlite(normalise_url(settings.database_url)):
        log.warning("apbot worker: with SQLite, `apbot serve` runs the turns itself")
    app = build_app(runtime)
    runner = web.AppRunner(app)
    await runner.setup()  # opens the channels' HTTP sessions; cleanup finishes their turns
    freeze_what_startup_made()  # see bot.server: a full collection walks less
    queues = turn_queues(app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    print(
        f"apbot worker: running the turns of {', '.join(q.platform for q in queues) or 'nothing'}"
        " (Ctrl-C to stop).",
        flush=True,
    )
    try:
        await asyncio.gather(*(queue.run(stop) for queue in queues), stop.wait())
    finally:
        await runner.cleanup()
    return 0
