"""`apbot chat`: talk to the bot in the terminal, as a person set up in the database."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.channels.terminal import TerminalChannel
from bot.runtime import open_runtime
from dialogs import wording
from dialogs.runner import DialogRunner
from storage.db import transaction
from storage.files import ExportSweep
from storage.models import Person


def register(subparsers: Any) -> None:
    chat = subparsers.add_parser(
        "chat",
        help="talk to the bot in the terminal",
        description="Run the bot's dialogs in the terminal as the person with this email.",
    )
    chat.add_argument("--as", dest="email", required=True, help="the email of a person set up")
    chat.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per line in and out (for scripts and tests)",
    )
    chat.set_defaults(handler=run_chat)


async def chat(email: str, *, json_mode: bool) -> int:
    async with open_runtime() as runtime:
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
                print('{"type": "error", "text": ' + _json(wording.NO_ACCESS) + "}")
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


def _json(text: str) -> str:
    import json

    return json.dumps(text)


def run_chat(args: argparse.Namespace) -> int:
    return asyncio.run(chat(args.email, json_mode=args.json))
