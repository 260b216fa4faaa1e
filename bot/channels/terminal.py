"""The terminal channel: the same dialogs on the command line, for a first try and for scripts.

Human mode prints questions with numbered choices. `--json` mode reads one JSON object (or a
plain line) per input line and writes one JSON object per output line, so tests and scripts
can drive every dialog, and press a nudge's buttons (`{"nudge": "done", "outbox_id": 12}`).
Each line is one turn of the pipeline every channel shares (`bot/channels/terminal_platform.py`).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TextIO

from pydantic import BaseModel, ValidationError

from bot.channels.nudge_actions import Pressed
from bot.channels.terminal_platform import PLATFORM, Line, TerminalTurns, conversation_for
from bot.channels.turn import take_turn
from dialogs.prompts import Done, ErrorReply, Message, Prompt, PromptKind, Reply
from dialogs.runner import DialogRunner, Incoming
from storage.clock import Clock
from storage.files import private_folder, write_private
from storage.models import Person

CHANNEL = PLATFORM

HINTS = {
    PromptKind.multichoice: "pick any, separated by commas",
    PromptKind.yesno: "yes or no",
    PromptKind.date: "day/month/year, today, tomorrow or a weekday",
    PromptKind.time: "24-hour, e.g. 09:30",
    PromptKind.confirm: "yes to save, back to change, cancel to stop",
}

# A date question about what happened reads a weekday as the last one, a plan as the next one.
DATE_HINTS = {
    "happened": "day/month/year, today, yesterday, or a weekday: tue is the last Tuesday",
    "planned": "day/month/year, today, tomorrow, or a weekday: tue is the next Tuesday",
}


class JsonIn(BaseModel):
    """One line of `--json` input."""

    text: str = ""
    value: str | list[str] | None = None
    prompt_id: str | None = None
    nudge: str | None = None  # a nudge's button: done, snooze_day, snooze_week or open
    outbox_id: int | str | None = None  # the nudge it is under


def render_text(reply: Reply) -> str:
    """A reply as plain terminal text."""
    if isinstance(reply, Prompt):
        lines = [reply.text]
        lines += [f"  {n}. {choice.label}" for n, choice in enumerate(reply.choices, start=1)]
        hints = [HINTS[reply.kind]] if reply.kind in HINTS else []
        if reply.kind == PromptKind.date and reply.date_sense:
            hints = [DATE_HINTS[reply.date_sense]]
        if reply.default is not None:
            hints.append(f"blank for {reply.default}")
        if reply.optional:
            hints.append("optional: type skip")
        if hints:
            lines.append(f"  ({'; '.join(hints)})")
        return "\n".join(lines)
    if isinstance(reply, ErrorReply):
        return f"✗ {reply.text}"
    if isinstance(reply, Message):
        return f"⚠ {reply.text}" if reply.level == "warning" else reply.text
    saved = "".join(f"\n  Saved: {f.path}" for f in reply.files if f.path)
    grid = f"\n{reply.preformatted}" if reply.preformatted else ""
    return (f"✓ {reply.text}" if reply.text else "✓ Done.") + grid + saved


def render_json(reply: Reply) -> str:
    """A reply as one line of JSON (the prompt_id is included for buttons-style answers)."""
    data = reply.model_dump(mode="json")
    if isinstance(reply, Done):
        data.pop("text", None) if not reply.text else None
    return json.dumps(data, ensure_ascii=False)


def parse_json_line(line: str, person: Person) -> Line:
    """`{"text": "..."}`, `{"value": [...], "prompt_id": "..."}`, a nudge's button
    (`{"nudge": "done", "outbox_id": 12}`), or a plain line of text."""
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            data = JsonIn.model_validate_json(stripped)
        except ValidationError:
            return Line(Incoming(text=stripped))
        if data.nudge is not None:
            return Line.pressing(person, Pressed(data.nudge, str(data.outbox_id)))
        return Line(Incoming(text=data.text, value=data.value, prompt_id=data.prompt_id))
    return Line(Incoming(text=line.rstrip("\r\n")))


class TerminalChannel:
    """Runs one person's conversation over a pair of text streams until input ends."""

    def __init__(
        self,
        runner: DialogRunner,
        person: Person,
        *,
        json_mode: bool,
        stdin: TextIO,
        stdout: TextIO,
        clock: Clock,
        files_dir: Path = Path("data/reports"),
    ) -> None:
        self.files_dir = files_dir
        self.runner = runner
        self.person = person
        self.json_mode = json_mode
        self.stdin = stdin
        self.stdout = stdout
        self.clock = clock

    def save_files(self, done: Done) -> None:
        """Write a dialog's files (reports, exports) to disk, never over an earlier one:
        readable by the bot's user only (0600 in a 0700 folder), removed after
        EXPORTS_KEEP_HOURS."""
        private_folder(self.files_dir)
        for attachment in done.files:
            path = self.files_dir / attachment.filename
            stem, suffix, n = path.stem, path.suffix, 2
            while path.exists():
                path = self.files_dir / f"{stem}-{n}{suffix}"
                n += 1
            write_private(path, attachment.content)
            attachment.path = str(path)

    def emit(self, replies: list[Reply]) -> None:
        for reply in replies:
            if isinstance(reply, Done) and reply.files:
                self.save_files(reply)
            self.stdout.write((render_json(reply) if self.json_mode else render_text(reply)) + "\n")
        self.stdout.flush()

    async def run(self) -> int:
        conversation = conversation_for(self.person)
        waiting = await self.runner.active_prompt(
            self.person.id, conversation=conversation, channel=CHANNEL
        )
        if not self.json_mode:
            self.stdout.write(
                f"AP Safeguard: signed in as {self.person.name} ({self.person.role.value}). "
                "Type help to see what you can do; Ctrl-D to leave.\n"
            )
        if not self.json_mode:
            # Nudges, alerts and digests the person has not read yet (scripts ask: `notices`).
            self.emit(
                await self.runner.arrival_notices(
                    self.person.id, channel=CHANNEL, conversation=conversation
                )
            )
        if waiting is not None:
            self.emit([Message(text="Carrying on where you left off."), waiting])
        while True:
            if not self.json_mode:
                self.stdout.write("> ")
                self.stdout.flush()
            line = await asyncio.to_thread(self.stdin.readline)
            if line == "":
                if not self.json_mode:
                    self.stdout.write("\nBye. Anything you were in the middle of is kept.\n")
                return 0
            await self.turn(line)

    async def turn(self, line: str) -> list[Reply]:
        """One line in, as a turn of the pipeline; the replies printed (a blank line in human
        mode means "the default")."""
        if self.json_mode:
            read = parse_json_line(line, self.person)
        else:
            typed = line.rstrip("\r\n")
            read = Line(Incoming(text=typed), blank=not typed.strip())
        turns = TerminalTurns(self)
        await take_turn(turns, read)
        return turns.shown
