"""`apbot chat`: talk to the bot in the terminal, as a person set up in the database."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.channels.terminal import TerminalChannel
from bot.cli.runner import on_database, opened
from bot.runtime import Runtime
from dialogs import wording
from dialogs.runner import DialogRunner
from storage.db import transaction
from storage.files import ExportSweep
from storage.models import Person


def register(subparsers: Any) -> None:
    chat_parser = subparsers.add_parser(
        "chat",
        help="talk to the bot in the terminal",
        description="Run the bot's dialogs in the terminal as the person with this email.",
    )
    chat_parser.add_argument(
        "--as", dest="email", required=True, help="the email of a person set up"
    )
    chat_parser.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per line in and out (for scripts and tests)",
    )
    chat_parser.set_defaults(handler=on_database(chat_command))


async def chat_command(runtime: Runtime, args: argparse.Namespace) -> int:
    """`apbot chat --as EMAIL [--json]`."""
    return await talk(runtime, args.email, json_mode=args.json)


async def chat(email: str, *, json_mode: bool) -> int:
    """`apbot chat` from inside a running event loop (tests drive it this way)."""
    async with opened() as runtime:
        return await talk(runtime, email, json_mode=json_mode)


async def talk(runtime: Runtime, email: str, *, json_mode: bool) -> int:
    """Talk on stdin and stdout as the person with `email`; 1 if nobody active has it."""
    settings = runtime.settings
    # Earlier exports past EXPORTS_KEEP_HOURS go before new ones are made.
    ExportSweep.from_hours(settings.reports_dir, settings.exports_keep_hours).run(
        runtime.clock.now()
    )
    async with transaction(runtime.sessions) as session:
        person = await session.scalar(
            select(Person).where(func.lower(Person.email) == email.strip().lower())
        )
    if person is None or not person.active:
        if json_mode:
            print('{"type": "error", "text": ' + json.dumps(wording.NO_ACCESS) + "}")
        else:
            print(wording.NO_ACCESS, file=sys.stderr)
        return 1
    runner = DialogRunner(runtime.sessions, runtime.clock)
    channel = TerminalChannel(
        runner,
        person,
        json_mode=json_mode,
        stdin=sys.stdin,
        stdout=sys.stdout,
        clock=runtime.clock,
        files_dir=Path(runtime.settings.reports_dir),
    )
    return await channel.run()
