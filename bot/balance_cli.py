"""`apbot balance`: one address in front of several `apbot serve` instances (see balancer.py).

apbot balance --port 3978 --to 127.0.0.1:3981 --to 127.0.0.1:3982
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import Any

from aiohttp import web

from bot.balancer import Balancer, parse_backend
from bot.settings import get_settings


def register(subparsers: Any) -> None:
    balance = subparsers.add_parser(
        "balance",
        help="a small round-robin load balancer in front of several `apbot serve` instances",
        description="Pass each request to the next instance in turn, unchanged (Slack's "
        "signatures still verify), adding an X-Served-By header naming the instance.",
    )
    balance.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    balance.add_argument("--port", type=int, default=3978, help="port to listen on (3978)")
    balance.add_argument(
        "--to",
        dest="backends",
        action="append",
        required=True,
        metavar="HOST:PORT",
        help="an instance to pass requests to (give --to once per instance)",
    )
    balance.set_defaults(handler=run_balance)


async def balance(host: str, port: int, backends: list[str]) -> None:
    balancer = Balancer(backends)
    runner = web.AppRunner(balancer.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    print(
        f"Balancing http://{host}:{port} over {', '.join(balancer.backends)} (round robin).\n"
        "  Stop with Ctrl-C.",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
    served = ", ".join(f"{b}: {balancer.served[b]}" for b in balancer.backends)
    print(f"Stopped. Requests served: {served}.", flush=True)


def run_balance(args: argparse.Namespace) -> int:
    try:
        backends = [parse_backend(b) for b in args.backends]
    except ValueError as error:
        print(f"--to {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=get_settings().log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    asyncio.run(balance(args.host, args.port, backends))
    return 0
