"""The terminal's side of the turn pipeline (`bot/channels/turn.py`), so that a line typed in
`apbot chat` is one turn like a Slack message or a Teams activity.

The terminal has one person, the one `--as` named (checked before the first line is read), and
one place, their own conversation (`terminal:<person id>`): nobody else reads it, so nothing is
`shared`. Replies are printed (text, or one JSON object a line); nothing is updated afterwards,
since a printed question has no buttons to take away. A nudge's button is pressed by a `--json`
line (`{"nudge": "done", "outbox_id": 12}`), and a press is seen once, as on Slack: the same
button on the same nudge pressed again is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.inbound import TurnOpening
from bot.channels.nudge_actions import Pressed, press
from bot.channels.turn import Answered, Known, Where
from dialogs import wording
from dialogs.prompts import ErrorReply, Message, Reply
from dialogs.runner import DialogRunner, Incoming
from storage.clock import Clock
from storage.models import Person

PLATFORM = "terminal"


def conversation_for(person: Person) -> str:
    return f"{PLATFORM}:{person.id}"


@dataclass(frozen=True)
class Line:
    """One line read from the terminal: what it says; for a nudge's button, which one (and the
    key the press is seen once by); `blank`: an empty line in human mode, "the default"."""

    said: Incoming
    delivery: str | None = None
    nudge: Pressed | None = None
    blank: bool = False

    @classmethod
    def pressing(cls, person: Person, pressed: Pressed) -> Line:
        key = f"nudge:{person.id}:{pressed.outbox_id}:{pressed.action}"
        return cls(Incoming(text=""), delivery=key, nudge=pressed)


class Screen(Protocol):
    """What the terminal channel gives its turns: the person, and somewhere to print."""

    person: Person
    runner: DialogRunner
    clock: Clock

    def emit(self, replies: list[Reply]) -> None: ...


class TerminalTurns:
    """The terminal's side of the turn pipeline (`bot.channels.turn.Platform`, with the nudge
    buttons' `bot.channels.nudge_actions.NudgeButtons`), for one line; `shown` is everything
    it printed."""

    platform = PLATFORM
    channel = PLATFORM
    network_errors: tuple[type[BaseException], ...] = ()

    def __init__(self, screen: Screen) -> None:
        self.screen = screen
        self.runner = screen.runner
        self.sessions: async_sessionmaker[AsyncSession] = screen.runner.sessions
        self.clock = screen.clock
        self.shown: list[Reply] = []

    def show(self, replies: list[Reply]) -> None:
        self.shown += replies
        self.screen.emit(replies)

    async def recognise(
        self, session: AsyncSession, inbound: Line, opening: TurnOpening
    ) -> Known | None:
        """A typed answer is the `--as` person's turn at once; a button press or a blank line
        takes the long way (`intercept` has something to say about it)."""
        if inbound.nudge is not None or inbound.blank:
            return None
        person = self.screen.person
        return Known(person, await self.locate(inbound, person))

    async def identify(self, inbound: Line) -> Person | str:
        return self.screen.person

    async def intercept(self, inbound: Line, person: Person) -> bool:
        """Press a nudge's button; a blank line where no default can stand is asked again."""
        if inbound.nudge is not None:
            await press(self, inbound, person, inbound.nudge)
            return True
        if not inbound.blank:
            return False
        waiting = await self.runner.active_prompt(
            person.id, conversation=conversation_for(person), channel=self.channel
        )
        if waiting is None:
            return True
        if waiting.default is None and not waiting.optional:
            self.show([ErrorReply(text=wording.ANSWER_NEEDED), waiting])
            return True
        return False

    async def locate(self, inbound: Line, person: Person) -> Where:
        return Where(PLATFORM, conversation_for(person), PLATFORM, str(person.id))

    async def update(self, turn: Answered[Line]) -> None:
        """Nothing: a printed question has no buttons to take away."""

    async def send(self, turn: Answered[Line]) -> list[str]:
        self.show(turn.replies)
        return []

    async def finish(self, turn: Answered[Line], posted: Sequence[str]) -> None:
        """Nothing: the next line answers the question waiting, whatever it is."""

    async def tell(self, inbound: Line, reply: Message | ErrorReply) -> None:
        self.show([reply])

    async def close_nudge(self, inbound: Line, outcome: str) -> None:
        self.show([Message(text=outcome)])

    def opened(self, inbound: Line, said: Incoming) -> Line:
        return Line(said)
