"""Running dialogs: one incoming answer in, replies out, state saved in the database.

Each turn is one transaction (`handle`), or part of the caller's (`handle_in`: a chat turn's
one transaction, see bot/channels/turn.py). A dialog's state row carries a version; an answer to an older
question (a second click on the same button, a retried delivery) is refused rather than saved
twice, and two turns racing on the same state cannot both win.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction, async_sessionmaker

from dialogs import wording
from dialogs.commands import closest_command, find_dialog, split_command
from dialogs.context import Answers, DialogContext
from dialogs.engine import (
    Dialog,
    Step,
    Walk,
    check_answer,
    current_step,
    parse_answer,
    to_json,
)
from dialogs.notices import unread_replies
from dialogs.parsing import AnswerError, NothingToDo
from dialogs.prompts import ErrorReply, Message, Prompt, Reply
from storage.access import may_use_place
from storage.clock import Clock
from storage.db import DATABASE_UNREACHABLE, transaction
from storage.models import Person
from storage.services import dialog_states
from storage.services.dialog_states import StaleState, State

log = logging.getLogger(__name__)

CANCEL_WORDS = {"cancel", "/cancel", "stop dialog", "quit"}


class Unread:
    """`handle_in`'s `state` when the caller has not read it (the runner reads it)."""


UNREAD = Unread()
BACK_WORDS = {"back", "/back", "undo"}


@dataclass(frozen=True)
class Incoming:
    """One thing a person said or clicked. `value` is a button's or form's value (a string or,
    for checkboxes, a list); `prompt_id` names the question a button belonged to."""

    text: str = ""
    value: str | list[str] | None = None
    prompt_id: str | None = None

    @property
    def raw(self) -> str | list[str]:
        return self.value if self.value is not None else self.text

    def cleaned(self) -> Incoming:
        """Without NUL characters: no one means to type them, and PostgreSQL cannot store
        them (an answer holding one would be refused by the database)."""
        value = self.value
        if isinstance(value, str):
            value = value.replace("\x00", "")
        elif value is not None:
            value = [v.replace("\x00", "") for v in value]
        return Incoming(self.text.replace("\x00", ""), value, self.prompt_id)


def _another_command(dialog: Dialog, incoming: Incoming) -> list[Reply]:
    """When what was typed, refused as the answer, is a command (`status`, `absent ...`): how
    to do that instead. Without it, a person who typed a command in the middle of a dialog
    reads only that their words are not, say, a date."""
    if incoming.value is not None:
        return []
    typed = " ".join(incoming.text.split())
    word, _ = split_command(typed)
    if not word or find_dialog(word) is None:
        return []
    return [Message(text=wording.ANOTHER_COMMAND.format(typed=typed[:80], title=dialog.title))]


def _prompt(dialog: Dialog, state: State, step: Step) -> Prompt:
    return Prompt(
        dialog=dialog.name,
        field=step.field,
        kind=step.kind,
        text=step.text,
        choices=list(step.choices),
        optional=step.optional,
        default=step.default,
        date_sense=step.sense.value if step.sense else None,
        prompt_id=_prompt_id(state, step),
    )


def _prompt_id(state: State, step: Step) -> str:
    return f"{state.id}.{state.version}.{step.field}"


class _Savepoint:
    """The dialog's part of the caller's transaction, begun only when the turn is about to make
    more than one change (a round trip each for SAVEPOINT and RELEASE otherwise): an answer that
    only moves the dialog on is one UPDATE, its last statement, and needs none."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.open: AsyncSessionTransaction | None = None

    async def begin(self) -> None:
        if self.open is None:
            self.open = await self.session.begin_nested()

    async def end(self, *, keep: bool) -> None:
        done, self.open = self.open, None
        if done is not None:
            await (done.commit() if keep else done.rollback())


class _Crossed(Exception):
    """Another turn of the same person here started a dialog at the same moment, and won."""


class _FinishRefused(Exception):
    """A dialog's save was refused for a reason the person can fix."""


class DialogRunner:
    """Takes one incoming message for one person in one conversation and returns the replies."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    async def handle(
        self,
        person_id: int,
        incoming: Incoming,
        *,
        channel: str,
        conversation: str,
        shared: bool = False,
        place: int | None = None,
    ) -> list[Reply]:
        """Answer one message, in a transaction of its own. Never raises for anything a person
        can cause, nor when the database cannot be reached (the reply says so). `place`: the
        organisation a shared channel belongs to (only its placements are named there)."""
        try:
            async with transaction(self.sessions) as session:
                return await self.handle_in(
                    session,
                    person_id,
                    incoming,
                    channel=channel,
                    conversation=conversation,
                    shared=shared,
                    place=place,
                )
        except DATABASE_UNREACHABLE:  # dialogs do no other I/O: an OSError is the connection
            ref = secrets.token_hex(3).upper()
            log.exception("database error in dialog turn (ref %s)", ref)
            return [ErrorReply(text=wording.DATABASE_TROUBLE.format(ref=ref))]

    async def handle_in(
        self,
        session: AsyncSession,
        person_id: int,
        incoming: Incoming,
        *,
        channel: str,
        conversation: str,
        shared: bool = False,
        place: int | None = None,
        state: State | Unread | None = UNREAD,
    ) -> list[Reply]:
        """Answer one message inside the caller's transaction (a chat turn's one transaction,
        with its first-delivery check and identity). The dialog's changes are made in a
        savepoint: an answer refused, or a save that fails, rolls back the dialog's part alone
        and the question is asked again in the same transaction. Raises only when the database
        cannot be reached (`DATABASE_UNREACHABLE`): the caller's transaction is lost then.
        `state`: this person's dialog state in `conversation` as the caller's transaction read
        it already, locked as `dialog_states.read` locks it (None: no dialog open), so it is
        not read again (`storage.services.turn_reads`)."""
        incoming = incoming.cleaned()
        person = await session.get(Person, person_id)
        if person is None or not person.active:
            return [ErrorReply(text=wording.NO_ACCESS)]
        ctx = DialogContext(
            session=session,
            person=person,
            clock=self.clock,
            channel=channel,
            conversation=conversation,
            shared=shared,
            place=place,
        )
        savepoint = _Savepoint(session)
        try:
            try:
                replies = await self._turn(ctx, incoming, savepoint, state)
            except BaseException:
                await savepoint.end(keep=False)
                raise
            await savepoint.end(keep=True)
            return replies
        except _FinishRefused as refused:
            ctx.forget()  # what the turn read may have changed in the part rolled back
            return await self._undo_last(ctx, str(refused))
        except AnswerError as error:  # a refusal from a dialog: nothing was saved
            ctx.forget()
            return await self._and_the_waiting_question(ctx, [ErrorReply(text=str(error))])
        except _Crossed:
            ctx.forget()
            return await self._and_the_waiting_question(ctx, [Message(text=wording.CROSSED)])
        except StaleState:
            return [Message(text=wording.ALREADY_ANSWERED)]
        except DATABASE_UNREACHABLE:
            raise
        except Exception:
            ref = secrets.token_hex(3).upper()
            log.exception("unexpected error in dialog turn (ref %s)", ref)
            return [ErrorReply(text=wording.OUR_FAULT.format(ref=ref))]

    async def arrival_notices(
        self, person_id: int, *, channel: str, conversation: str
    ) -> list[Reply]:
        """What to tell a person as they arrive (the terminal channel): their unread notices,
        marked read once shown. Nothing when there are none, or when the database fails (the
        person can still ask with `notices`)."""
        try:
            async with transaction(self.sessions) as session:
                person = await session.get(Person, person_id)
                if person is None or not person.active:
                    return []
                ctx = DialogContext(session, person, self.clock, channel, conversation)
                return await unread_replies(ctx, quiet=True)
        except Exception:
            ref = secrets.token_hex(3).upper()
            log.exception("could not read notices on arrival (ref %s)", ref)
            return []

    async def _and_the_waiting_question(
        self, ctx: DialogContext, replies: list[Reply]
    ) -> list[Reply]:
        """In the middle of a dialog, ask the question it is waiting on again after `replies`."""
        try:
            waiting = await self._waiting(ctx)
        except AnswerError:
            waiting = None
        return [*replies, waiting] if waiting is not None else replies

    async def active_prompt(
        self,
        person_id: int,
        *,
        conversation: str,
        channel: str,
        shared: bool = False,
        place: int | None = None,
        session: AsyncSession | None = None,
    ) -> Prompt | None:
        """The question waiting for this person here, if any (to show it again); in `session`
        when given (a chat turn's transaction), else in a transaction of its own."""
        if session is None:
            async with transaction(self.sessions) as own:
                return await self.active_prompt(
                    person_id,
                    conversation=conversation,
                    channel=channel,
                    shared=shared,
                    place=place,
                    session=own,
                )
        person = await session.get(Person, person_id)
        if person is None:
            return None
        ctx = DialogContext(session, person, self.clock, channel, conversation, shared, place=place)
        return await self._waiting(ctx)

    async def _waiting(self, ctx: DialogContext) -> Prompt | None:
        state = await self._state(ctx.session, ctx.person.id, ctx.conversation)
        if state is None:
            return None
        dialog = find_dialog(state.dialog)
        if dialog is None:
            return None
        step, _ = await current_step(dialog, ctx, Answers(state.answers))
        return _prompt(dialog, state, step) if step else None

    async def _state(
        self, session: AsyncSession, person_id: int, conversation: str
    ) -> State | None:
        return await dialog_states.read(session, person_id, conversation)

    async def _turn(
        self,
        ctx: DialogContext,
        incoming: Incoming,
        savepoint: _Savepoint,
        known: State | Unread | None = UNREAD,
    ) -> list[Reply]:
        if isinstance(known, Unread):
            state = await self._state(ctx.session, ctx.person.id, ctx.conversation)
        else:
            state = known
        if state is None:
            await savepoint.begin()  # a dialog's start may write more than its state
            return await self._start(ctx, incoming)
        dialog = find_dialog(state.dialog)
        if dialog is None:  # a dialog removed in an upgrade: drop its state, start afresh
            await dialog_states.remove(ctx.session, state)
            return [Message(text=wording.DIALOG_GONE)]
        return await self._continue(ctx, dialog, state, incoming, savepoint)

    async def _start(self, ctx: DialogContext, incoming: Incoming) -> list[Reply]:
        if incoming.prompt_id:
            return [Message(text=wording.ALREADY_ANSWERED)]
        word, args = split_command(incoming.text if incoming.value is None else str(incoming.raw))
        dialog = find_dialog(word)
        if dialog is None and word.lower() in CANCEL_WORDS | BACK_WORDS:
            return [Message(text=wording.NOTHING_TO_CANCEL)]
        if dialog is None:
            return [
                ErrorReply(
                    text=wording.unknown_command(word, closest_command(word, ctx.person.role))
                )
            ]
        if ctx.person.role not in dialog.roles:
            return [ErrorReply(text=wording.not_for_role(dialog.title, ctx.person.role))]
        if ctx.shared and not dialog.shared_ok:
            return [ErrorReply(text=wording.NOT_IN_SHARED_CHANNEL)]
        if ctx.place is not None and not await may_use_place(ctx.session, ctx.person, ctx.place):
            return [ErrorReply(text=wording.NOT_YOUR_SHARED_CHANNEL)]
        try:
            answers = await dialog.begin(ctx, args)
        except NothingToDo as nothing:  # not a mistake: said plainly, not as an error
            return [Message(text=str(nothing))]
        except AnswerError as error:
            return [ErrorReply(text=str(error))]
        step, _ = await current_step(dialog, ctx, answers)
        if step is None:  # nothing to ask: a one-shot command such as status or help
            return await dialog.finish(ctx, answers)
        try:
            state = await dialog_states.start(
                ctx.session,
                person_id=ctx.person.id,
                conversation=ctx.conversation,
                dialog=dialog.name,
                answers=answers.data,
                at=self.clock.now(),
            )
        except IntegrityError as error:
            # The person's other message, handled at the same moment (on another instance),
            # started a dialog here first: theirs stands, this one is rolled back.
            raise _Crossed from error
        intro = await dialog.intro(ctx, answers)
        return [*intro, *step.notes, _prompt(dialog, state, step)]

    async def _continue(
        self,
        ctx: DialogContext,
        dialog: Dialog,
        state: State,
        incoming: Incoming,
        savepoint: _Savepoint,
    ) -> list[Reply]:
        answers = Answers(state.answers)
        stale = incoming.prompt_id is not None and not incoming.prompt_id.startswith(
            f"{state.id}.{state.version}."
        )
        word = incoming.text.strip().lower() if incoming.value is None else ""
        if word in CANCEL_WORDS and not stale:  # before anything else: a way out always works
            await dialog_states.remove(ctx.session, state)
            return [Message(text=wording.CANCELLED.format(title=dialog.title))]
        walk = Walk(dialog, ctx, answers)
        step = await walk.first_unanswered()
        if step is None:  # every answer is in but saving failed last time: try again
            await savepoint.begin()
            return await self._finish(ctx, dialog, state, answers, walk.reached)
        current_id = _prompt_id(state, step)
        if incoming.prompt_id and incoming.prompt_id != current_id:
            return [Message(text=wording.ALREADY_ANSWERED), _prompt(dialog, state, step)]
        if word in BACK_WORDS:
            await savepoint.begin()
            return await self._back(ctx, dialog, state)
        try:
            value = parse_answer(step, incoming.raw, today=ctx.today)
            problem = await check_answer(step, value)
        except AnswerError as error:
            problem = str(error)
        if problem:
            return [
                ErrorReply(text=problem),
                *_another_command(dialog, incoming),
                _prompt(dialog, state, step),
            ]
        if step.kind.value == "confirm" and value is False:
            return [Message(text=wording.NOT_CONFIRMED), _prompt(dialog, state, step)]
        answers.data[step.field] = to_json(value)
        history = [*state.history, step.field]
        # The next question first, then the answer saved: the UPDATE is then the turn's only
        # change, and needs no savepoint (a refusal on the way has written nothing). The walk
        # goes on from the question answered (no replay of the steps before it).
        following = await walk.answered(step)
        if following is None:
            await savepoint.begin()
            return await self._finish(ctx, dialog, state, answers, walk.reached)
        await self._save(ctx.session, state, answers, history)
        return [*following.notes, _prompt(dialog, state, following)]

    async def _back(self, ctx: DialogContext, dialog: Dialog, state: State) -> list[Reply]:
        answers = Answers(state.answers)
        history = list(state.history)
        # Drop answers until one that the dialog still reaches has gone (skipped ones too).
        undone = False
        while history and not undone:
            field = history.pop()
            if field in answers.data:
                del answers.data[field]
                undone = True
        await self._save(ctx.session, state, answers, history)
        step, _ = await current_step(dialog, ctx, answers)
        if step is None:  # pragma: no cover - an answer was just removed
            return []
        # Only when there was nothing to take back: after a `back` that worked, the question
        # it went back to says enough.
        replies: list[Reply] = [] if undone else [Message(text=wording.AT_FIRST_QUESTION)]
        return [*replies, *step.notes, _prompt(dialog, state, step)]

    async def _finish(
        self,
        ctx: DialogContext,
        dialog: Dialog,
        state: State,
        answers: Answers,
        reached: list[str],
    ) -> list[Reply]:
        """Save: `reached` is every field the walk to the end passed (answers the dialog no
        longer reaches, after a `back`, are dropped)."""
        kept = Answers({k: v for k, v in answers.data.items() if k in reached})
        # Claim the state first: of two racing turns only one deletes it, the other fails.
        await dialog_states.remove(ctx.session, state)
        try:
            return await dialog.finish(ctx, kept)
        except AnswerError as error:
            # Roll the whole turn back (nothing half-saved), then re-ask in a fresh transaction.
            raise _FinishRefused(str(error)) from error

    async def _undo_last(self, ctx: DialogContext, message: str) -> list[Reply]:
        """After a refused save (rolled back): forget the last answer and ask that question
        again."""
        state = await self._state(ctx.session, ctx.person.id, ctx.conversation)
        dialog = find_dialog(state.dialog) if state is not None else None
        if state is None or dialog is None:
            return [ErrorReply(text=message)]
        answers = Answers(state.answers)
        history = list(state.history)
        if history:
            answers.data.pop(history.pop(), None)
        await self._save(ctx.session, state, answers, history)
        step, _ = await current_step(dialog, ctx, answers)
        replies: list[Reply] = [ErrorReply(text=message)]
        if step is not None:
            replies.append(_prompt(dialog, state, step))
        return replies

    async def _save(
        self, session: AsyncSession, state: State, answers: Answers, history: list[str]
    ) -> None:
        await dialog_states.save(
            session, state, answers=dict(answers.data), history=history, at=self.clock.now()
        )
