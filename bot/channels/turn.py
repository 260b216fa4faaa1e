"""One inbound turn, the same for every chat platform (Slack, Teams; a web chat or Google Chat
would be one more adapter).

    first delivery -> identify -> intercept -> locate -> run -> update -> send -> finish
       (a retry,      (who is     (a platform  (DM, or a  (the   (close   (replies (remember
        a replay:      it? else    command:     shared     dialog the      and      the open
        dropped)       "ask your   link, nudge  place:     runner) answered files)  question)
                       admin")     button)      `place`)           question)

Each platform implements `Platform` over its own inbound payload (a Slack request body, a Teams
turn): it reads who and where, and renders, sends and updates messages; this module decides the
order, drops a delivery seen before, refuses a Cancel button on a question that has moved on,
and tells the person when the database cannot be reached. Nothing here imports a platform SDK.

A turn is one database transaction: first delivery, who (`recognise`, from the database
alone), where, the dialog, what the platform keeps about the conversation, and the kept
delivery forgotten (`bot.channels.inbound`) are read and written together, and the replies
are sent after it committed (never while it is open). A turn that needs more first (someone
never seen before, whom the platform is asked about; a command such as `/ap link`; a nudge's
button) takes the long way: identify, intercept, locate and the dialog each in a transaction
of their own; for a kept delivery the first-delivery key is written with the dialog (or after
the command), so a process killed on the way runs it again.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.inbound import (
    TurnOpening,
    first_delivery_of_turn,
    forget_running_turn,
    open_turn,
    running_kept_turn,
)
from dialogs import wording
from dialogs.prompts import ErrorReply, Message, Reply
from dialogs.runner import UNREAD, DialogRunner, Incoming, Unread
from storage.clock import Clock
from storage.db import DATABASE_UNREACHABLE, transaction
from storage.models import Person
from storage.services.dialog_states import State
from storage.services.inbound_events import first_delivery
from storage.services.shared_channels import find_channel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Where:
    """Where one person's turn happens, on any platform.

    `conversation` is the dialog runner's key (one per person and place); `address` is where the
    platform sends replies (a Slack channel id, a Teams conversation id); `user` is the person's
    id on the platform. A `shared` place can be read by others, so pupils are named there by
    placement reference only; `place` is the organisation a linked shared place belongs to
    (only its placements are offered there)."""

    platform: str
    conversation: str
    address: str
    user: str = ""
    shared: bool = False
    place: int | None = None


class Arrival(Protocol):
    """What every platform's inbound payload tells the pipeline."""

    @property
    def said(self) -> Incoming: ...

    @property
    def delivery(self) -> str | None:
        """The key of this delivery, seen once (a retry or replay repeats it); None: unchecked."""
        ...


A = TypeVar("A", bound=Arrival)


@dataclass(frozen=True)
class Known:
    """Who and where, found in the turn's transaction, and what the platform read there about
    the conversation for later (Slack: the question left open in the DM). `state`: the
    person's dialog state in `where.conversation` if it was read with them (locked; None: no
    dialog open), else `UNREAD` (the dialog runner reads it)."""

    person: Person
    where: Where
    kept: dict[str, Any] = field(default_factory=dict)
    state: State | Unread | None = UNREAD


@dataclass(frozen=True)
class Answered(Generic[A]):
    """A dialog turn that ran, for the platform to show: who, where, the replies, and what the
    platform kept from the turn's transaction (empty on the long way)."""

    inbound: A
    person: Person
    where: Where
    replies: list[Reply]
    kept: dict[str, Any] = field(default_factory=dict)


class Platform(Protocol[A]):
    """What a chat platform does for a turn; the order is `take_turn`'s."""

    platform: str  # the name deliveries and links are kept under
    channel: str  # the channel the dialog runner is told
    runner: DialogRunner
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    # Errors of the platform's own network: never mistaken for the database being down.
    network_errors: tuple[type[BaseException], ...]

    async def recognise(
        self, session: AsyncSession, inbound: A, opening: TurnOpening
    ) -> Known | None:
        """Who and where, from the database alone (no platform call), inside the turn's
        transaction, when nothing else has to happen before the dialog; None: the long way.
        Who is read with `opening.read`, which takes the first-delivery check in (PostgreSQL)
        and gives None for a delivery seen before."""
        ...

    async def identify(self, inbound: A) -> Person | str:
        """The person behind this delivery, or what to tell someone who may not come in."""
        ...

    async def intercept(self, inbound: A, person: Person) -> bool:
        """Answer what is not a dialog turn (a link command, a nudge button); True if done."""
        ...

    async def locate(self, inbound: A, person: Person) -> Where | None:
        """Where the turn runs; None when it may not run here (the person has been told)."""
        ...

    async def update(self, turn: Answered[A]) -> None:
        """Close the question just answered (its buttons or card), now that the turn moved on."""
        ...

    async def send(self, turn: Answered[A]) -> list[str]:
        """Render and send the replies, with any files; the ids of the messages sent."""
        ...

    async def finish(self, turn: Answered[A], posted: Sequence[str]) -> None:
        """Anything after the replies: remember the question left open, point to the DM."""
        ...

    async def tell(self, inbound: A, reply: Message | ErrorReply) -> None:
        """Say one thing to the person privately, outside a dialog (no access, database down)."""
        ...


async def take_turn(platform: Platform[A], inbound: A) -> list[Reply] | None:
    """One delivery from a person, from first-delivery check to the replies sent (None when no
    dialog turn ran). When the database cannot be reached before the dialog runner could say so
    itself, the person is told their answer was not saved (a platform does not send a delivery
    again once it was acknowledged)."""
    try:
        try:
            async with transaction(platform.sessions) as session:
                key = inbound.delivery
                # On PostgreSQL the platform's first read records the delivery (and deletes
                # the kept one from the queue) in its own statement; elsewhere it is checked
                # first. Either way done when this transaction commits.
                opening = open_turn(
                    session, platform=platform.platform, event_id=key, at=platform.clock.now()
                )
                known = None
                if opening.fold is not None or await opening.settle(session):
                    known = await platform.recognise(session, inbound, opening)
                if not await opening.settle(session):
                    log.info("%s: dropped a delivery seen before", platform.platform)
                    await forget_running_turn(session)
                    return None
                if known is not None:
                    replies = await run_dialog(
                        platform,
                        known.person,
                        known.where,
                        inbound.said,
                        session=session,
                        state=known.state,
                    )
                    # The kept delivery is done when the dialog's changes are: a process killed
                    # before this commits runs the turn again; after, it does not.
                    await forget_running_turn(session)
                elif key is not None and running_kept_turn():
                    # The long way, for a kept delivery: seen once its dialog has run
                    # (`answer`), so that a process killed on the way runs it again; nothing
                    # of this transaction is kept (the first delivery, the queue row's delete).
                    raise _LongWay
        except _LongWay:
            known = None
        if known is None:
            return await the_long_way(platform, inbound)
        turn = Answered(inbound, known.person, known.where, replies, known.kept)
        return await show(platform, turn)
    except platform.network_errors:  # an OSError too, but the platform's, not the database
        raise
    except DATABASE_UNREACHABLE:
        ref = secrets.token_hex(3).upper()
        log.exception("%s: database unreachable (ref %s)", platform.platform, ref)
        await platform.tell(inbound, ErrorReply(text=wording.DATABASE_TROUBLE.format(ref=ref)))
        return None


class _LongWay(Exception):
    """A kept delivery's turn goes the long way: its first transaction is rolled back."""


async def the_long_way(platform: Platform[A], inbound: A) -> list[Reply] | None:
    """A turn whose delivery was checked (and kept) already, that needs the platform or a
    command first: each step on its own. For a delivery kept in the inbound queue, the first
    delivery is recorded at the end, with the dialog's changes (or after the command)."""
    person = await platform.identify(inbound)
    if not isinstance(person, Person):
        await _seen_and_done(platform, inbound)  # before telling: told once at most
        await platform.tell(inbound, Message(text=person))
        return None
    if await platform.intercept(inbound, person):
        await _seen_and_done(platform, inbound)
        return None
    where = await platform.locate(inbound, person)
    if where is None:
        await _seen_and_done(platform, inbound)
        return None
    return await answer(platform, inbound, person, where)


async def _seen_and_done(platform: Platform[A], inbound: A) -> None:
    """A kept delivery that needed no dialog: recorded as seen, and forgotten, together."""
    if not running_kept_turn():
        return
    async with transaction(platform.sessions) as session:
        if inbound.delivery is not None:
            await first_delivery(
                session,
                platform=platform.platform,
                event_id=inbound.delivery,
                at=platform.clock.now(),
            )
        await forget_running_turn(session)


async def answer(platform: Platform[A], inbound: A, person: Person, where: Where) -> list[Reply]:
    """A known person's turn in a known place: run it (in a transaction of its own), close the
    answered question, send the replies, and remember what is left open."""
    if not running_kept_turn():
        replies = await run_dialog(platform, person, where, inbound.said)
        return await show(platform, Answered(inbound, person, where, replies))
    async with transaction(platform.sessions) as session:
        key = inbound.delivery
        if key is not None and not await first_delivery_of_turn(
            session, platform=platform.platform, event_id=key, at=platform.clock.now()
        ):
            await forget_running_turn(session)
            return []
        replies = await run_dialog(platform, person, where, inbound.said, session=session)
        await forget_running_turn(session)
    return await show(platform, Answered(inbound, person, where, replies))


async def show(platform: Platform[A], turn: Answered[A]) -> list[Reply]:
    """After the dialog's transaction: close the answered question, send, finish."""
    await platform.update(turn)
    posted = await platform.send(turn)
    await platform.finish(turn, posted)
    return turn.replies


async def run_dialog(
    platform: Platform[A],
    person: Person,
    where: Where,
    said: Incoming,
    *,
    session: AsyncSession | None = None,
    state: State | Unread | None = UNREAD,
) -> list[Reply]:
    """The dialog runner's turn for this person here: in `session` (the turn's transaction)
    when given, else in a transaction of its own (`state`: the dialog's state read with the
    person in `session`, see `Known`). A Cancel button on an old question must not cancel the
    question asked since: it is refused as already answered, and the question waiting is
    asked again (as the runner does for any other old click)."""
    if said.text.strip().lower() == "cancel" and said.prompt_id:
        waiting = await platform.runner.active_prompt(
            person.id,
            channel=platform.channel,
            conversation=where.conversation,
            shared=where.shared,
            place=where.place,
            session=session,
        )
        if waiting is None:
            return [Message(text=wording.ALREADY_ANSWERED)]
        if waiting.prompt_id != said.prompt_id:
            return [Message(text=wording.ALREADY_ANSWERED), waiting]
    here: dict[str, Any] = {
        "channel": platform.channel,
        "conversation": where.conversation,
        "shared": where.shared,
        "place": where.place,
    }
    if session is not None:
        return await platform.runner.handle_in(session, person.id, said, state=state, **here)
    return await platform.runner.handle(person.id, said, **here)


async def linked_place(
    sessions: async_sessionmaker[AsyncSession], platform: str, external_id: str
) -> int | None:
    """The organisation a shared channel (or chat) is linked to, if it is."""
    async with transaction(sessions) as session:
        linked = await find_channel(session, platform, external_id)
    return linked.organisation_id if linked is not None else None


async def first_time(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, platform: str, key: str
) -> bool:
    """False for a delivery seen before (a retry, a second click, a replayed request)."""
    async with transaction(sessions) as session:
        return await first_delivery(session, platform=platform, event_id=key, at=clock.now())
