"""Driving the bot the way a script would: through the `--json` terminal channel."""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.channels.terminal import TerminalChannel
from dialogs.runner import DialogRunner
from storage.clock import Clock
from storage.models import Person
from tests.support.database import Database


class JsonChat:
    """One person talking to the bot in `--json` mode, a line at a time."""

    def __init__(self, db: Database, clock: Clock, person: Person) -> None:
        self.person = person
        self.channel = TerminalChannel(
            DialogRunner(db.sessions, clock),
            person,
            json_mode=True,
            stdin=io.StringIO(),
            stdout=io.StringIO(),
            clock=clock,
            files_dir=Path(tempfile.mkdtemp(prefix="apbot-files-")),
        )
        self.transcript: list[dict[str, Any]] = []

    @classmethod
    async def as_email(cls, db: Database, clock: Clock, email: str) -> JsonChat:
        async with db.sessions() as session:
            person = await session.scalar(select(Person).where(Person.email == email))
        assert person is not None, f"no person {email}"
        return cls(db, clock, person)

    async def say(self, text: str | dict[str, Any]) -> list[dict[str, Any]]:
        """Send one line (plain text, or a JSON object); return the JSON objects written back."""
        line = text if isinstance(text, str) else json.dumps(text)
        self.channel.stdout = io.StringIO()
        await self.channel.turn(line + "\n")
        out = [json.loads(printed) for printed in self.channel.stdout.getvalue().splitlines()]
        self.transcript.extend(out)
        return out

    async def answer_all(self, answers: dict[str, str], *, start: str) -> list[dict[str, Any]]:
        """Start a dialog and answer each prompt by its field name until it is done.
        Fails loudly when a prompt comes that the answers don't cover or an answer is refused."""
        out = await self.say(start)
        for _ in range(200):
            last = out[-1]
            if last["type"] != "prompt":
                return out
            errors = [o for o in out if o["type"] == "error"]
            assert not errors, f"refused: {errors} before {last['field']}"
            field = last["field"]
            assert field in answers, f"unexpected prompt {field!r}: {last['text']}"
            out = await self.say(answers[field])
        raise AssertionError("dialog did not finish")


def prompt(out: list[dict[str, Any]]) -> dict[str, Any]:
    """The question at the end of a reply."""
    assert out and out[-1]["type"] == "prompt", out
    return out[-1]


def texts(out: list[dict[str, Any]]) -> str:
    return "\n".join(o.get("text", "") for o in out)


SAID = "Said in a test."


def answer_by_kind(prompt: dict[str, Any], plan: dict[str, str], happened: dt.date) -> str:
    """The answer to a prompt by its field (from `plan`) or else by its kind, so that a test
    survives a new question in a dialog: a date that something happened on is `happened`,
    written out; a planning date takes its default; a yes/no or a confirmation is yes; a choice
    its default or first choice; free text a sentence."""
    field, kind, default = prompt["field"], prompt["kind"], prompt.get("default")
    if field in plan:
        return plan[field]
    if kind == "date":
        return f"{happened:%d/%m/%Y}" if default in (None, "today") else str(default)
    if kind in ("confirm", "yesno"):
        return "yes"
    if kind in ("choice", "multichoice"):
        choices = prompt.get("choices") or []
        return str(default) if default else (str(choices[0]["value"]) if choices else "")
    if default:
        return str(default)
    return "10:00" if kind == "time" else SAID


async def converse(
    chat: JsonChat, start: str, plan: dict[str, str], happened: dt.date
) -> dict[str, Any] | None:
    """Start a dialog and answer every question (`answer_by_kind`) until it is done: its final
    reply, or None when an answer was refused (the dialog is then cancelled)."""
    out = await chat.say(start)
    for _ in range(60):
        if any(reply["type"] == "error" for reply in out):
            if out[-1]["type"] == "prompt":
                await chat.say("cancel")
            return None
        if out[-1]["type"] != "prompt":
            return out[-1]
        out = await chat.say(answer_by_kind(out[-1], plan, happened))
    await chat.say("cancel")
    raise AssertionError(f"{start}: the dialog never finished: {chat.transcript[-4:]}")
