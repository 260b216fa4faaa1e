"""The buttons under a nudge (Done, Snooze 1 day, Snooze 1 week, Open), the same on every
platform.

Each button carries what it does and the id of the outbox message it came with. A press is one
turn of the pipeline (`turn.take_turn`): a press seen before is dropped, the person identified
(anyone else is told to ask their admin), and then the platform's `intercept` hands the press to
`press` here, which carries it out once, on exactly that outbox message, through the scheduler's
`act_on_nudge`; shows on the nudge what happened (the platform's `close_nudge`: its buttons go);
and starts the dialog the button opens (e.g. `visit AP-7K3Q`) as if the person had typed it, as
a turn of its own (`turn.answer`). A press on someone else's nudge is refused privately and the
nudge is left as it is; when the database cannot be reached, the pipeline says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeVar, get_args

from bot.channels.turn import Arrival, Platform, answer
from dialogs.prompts import Message
from dialogs.runner import Incoming
from storage.db import transaction
from storage.models import Person
from storage.services.audit import Change
from storage.services.nudges import NudgeAction, act_on_nudge
from storage.wording import nudges as nudge_wording

ACTIONS: tuple[NudgeAction, ...] = get_args(NudgeAction)

A = TypeVar("A", bound=Arrival)


@dataclass(frozen=True)
class Pressed:
    """A nudge's button as the platform read it, unchecked: what it does, and on which outbox
    message (its id as the payload carries it)."""

    action: str
    outbox_id: str

    def checked(self) -> tuple[NudgeAction, int] | None:
        """The action and outbox id, or None when the payload is not a button of ours."""
        if not self.outbox_id.isdigit():
            return None
        for action in ACTIONS:
            if action == self.action:
                return action, int(self.outbox_id)
        return None


class NudgeButtons(Platform[A], Protocol[A]):
    """What a platform adds to `turn.Platform` for a nudge's buttons."""

    async def close_nudge(self, inbound: A, outcome: str) -> None:
        """Show on the nudge (or next to it) what its button did, with its buttons taken away."""
        ...

    def opened(self, inbound: A, said: Incoming) -> A:
        """The press as a typed `said` (the dialog a button opens), for `locate` and `answer`."""
        ...


async def press(platform: NudgeButtons[A], inbound: A, person: Person, pressed: Pressed) -> None:
    """Carry out one press of a nudge's button for `person` (see the module docstring)."""
    checked = pressed.checked()
    if checked is None:
        await platform.tell(inbound, Message(text=nudge_wording.UNAVAILABLE))
        return
    action, outbox_id = checked
    change = Change(person_id=person.id, channel=platform.channel, at=platform.clock.now())
    async with transaction(platform.sessions) as session:
        outcome = await act_on_nudge(session, change, outbox_id=outbox_id, action=action)
    if (
        outcome.text == nudge_wording.NOT_YOURS
    ):  # the nudge is its owner's to close, not the presser's
        await platform.tell(inbound, Message(text=outcome.text))
        return
    await platform.close_nudge(inbound, outcome.text)
    if outcome.start_command:
        opened = platform.opened(inbound, Incoming(text=outcome.start_command))
        where = await platform.locate(opened, person)
        if where is not None:
            await answer(platform, opened, person, where)
