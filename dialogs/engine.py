"""The dialog engine: a dialog is an ordered series of steps, recomputed from the answers so far.

A dialog's `steps` is an async generator. The engine walks it and asks the first step whose
field has no answer yet, so a step can depend on earlier answers (skip, change its choices,
warn) and the whole position is just the saved answers: nothing else to restore after a restart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from dialogs.context import Answers, DialogContext
from dialogs.parsing import (
    AnswerError,
    DateSense,
    parse_choice,
    parse_date,
    parse_multichoice,
    parse_text,
    parse_time,
    parse_yesno,
)
from dialogs.prompts import Choice, Message, PromptKind, Reply
from storage.access import Need, roles_for
from storage.models import Role

SKIP_WORDS = {"", "skip", "-", "none", "n/a"}
# Words that mean "skip" and nothing else: refused as the answer to a question that needs one
# (so "skip" is never stored as, say, the welfare-call arrangements).
ONLY_SKIP_WORDS = {"skip", "-", "n/a", "na"}

# A step's check of its parsed answer: an error message or None, or a coroutine giving one
# (a check that needs a read, made only when an answer is given: not on the turns that merely
# ask the question, nor on the later turns that walk past it).
Validator = Callable[[Any], str | Awaitable[str | None] | None]


@dataclass
class Step:
    """One question. `parse` replaces the kind's own parser for special text (hours, UPNs);
    `validate` gets the parsed value and returns an error message or None (or is a coroutine
    function: `check_answer`).

    A date question must say what it is about (`sense`): something that happened, where a
    weekday means the most recent one, or a plan, where it means the next one."""

    field: str
    kind: PromptKind
    text: str
    choices: Sequence[Choice] = ()
    optional: bool = False
    default: str | None = None
    parse: Callable[[str], Any] | None = None
    validate: Validator | None = None
    notes: list[Message] = dataclasses.field(default_factory=list)
    max_length: int = 4000
    sense: DateSense | None = None

    def __post_init__(self) -> None:
        if self.kind == PromptKind.date and self.sense is None:
            raise TypeError(
                f"Date question {self.field!r} must say whether it asks what happened "
                "(sense=DateSense.happened) or a plan (sense=DateSense.planned)."
            )


def to_json(value: Any) -> Any:
    """Store a parsed answer as JSON."""
    if isinstance(value, dt.date | dt.time):
        return (
            value.isoformat(timespec="minutes") if isinstance(value, dt.time) else value.isoformat()
        )
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def parse_answer(step: Step, raw: str | list[str], *, today: dt.date) -> Any:
    """Turn a typed or clicked answer into the step's value, or raise AnswerError."""
    if isinstance(raw, list):
        if step.kind != PromptKind.multichoice:
            raw = raw[0] if raw else ""
        else:
            return parse_multichoice(raw, step.choices) if raw else []
    text = raw.strip()
    if (
        text.lower() in ONLY_SKIP_WORDS
        and not step.optional
        and step.kind not in (PromptKind.choice, PromptKind.multichoice)
    ):
        blank = f" (leave it blank for {step.default})" if step.default else ""
        raise AnswerError(f"This question can't be skipped: please give an answer{blank}.")
    if text.lower() in SKIP_WORDS and step.kind not in (PromptKind.choice, PromptKind.multichoice):
        if step.default is not None and text == "":
            text = step.default
        elif step.optional:
            return None
    if step.kind in (PromptKind.choice, PromptKind.multichoice) and text == "" and step.default:
        text = step.default
    if step.kind == PromptKind.multichoice and step.optional and text.lower() in SKIP_WORDS:
        return []
    if step.parse is not None:
        if not text:
            raise AnswerError("Please type an answer (it can't be empty).")
        return step.parse(text)
    match step.kind:
        case PromptKind.text:
            return parse_text(text, max_length=step.max_length)
        case PromptKind.choice:
            return parse_choice(text, step.choices)
        case PromptKind.multichoice:
            return parse_multichoice(text, step.choices)
        case PromptKind.yesno | PromptKind.confirm:
            return parse_yesno(text)
        case PromptKind.date:
            return parse_date(text, today=today, sense=step.sense or DateSense.planned)
        case PromptKind.time:
            return parse_time(text)
    raise AnswerError("I can't read that answer.")  # pragma: no cover - every kind is handled


async def check_answer(step: Step, value: Any) -> str | None:
    """The step's check of an answer given (None: accepted)."""
    if step.validate is None or value is None:
        return None
    problem = step.validate(value)
    if inspect.isawaitable(problem):
        return await problem
    return problem


class Dialog:
    """A conversation that gathers answers and, at the end, saves a record.

    Subclasses set the class attributes and write `steps` and `finish`.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    words: ClassVar[tuple[str, ...]]
    # What it needs (an action on a placement, a part of the record, a task): who may start it
    # is decided by `storage.access.roles_for`, never by the dialog.
    needs: ClassVar[Need]
    summary: ClassVar[str]
    # Dialogs that may run in a provider's shared channel (reference-only replies there).
    shared_ok: ClassVar[bool] = False

    @property
    def roles(self) -> frozenset[Role]:
        """The roles that may start it (from `storage.access`)."""
        return roles_for(self.needs)

    async def begin(self, ctx: DialogContext, args: str) -> Answers:
        """Answers known before the first question (e.g. a reference typed after the command).
        Raise AnswerError to refuse to start."""
        return Answers()

    async def intro(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        """What to say before the first question."""
        return [
            Message(
                text=f"{self.title[:1].upper()}{self.title[1:]}. Type cancel at any time to stop, back to change the last answer."
            )
        ]

    def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        """The questions, in order, given the answers so far."""
        raise NotImplementedError

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        """Save what the answers describe (in the caller's transaction) and say so.
        Raise AnswerError for a problem the person can fix (the last answer is undone)."""
        raise NotImplementedError


async def current_step(
    dialog: Dialog, ctx: DialogContext, answers: Answers
) -> tuple[Step | None, list[str]]:
    """The first unanswered step (None when all are answered) and the fields reached so far."""
    walk = Walk(dialog, ctx, answers)
    return await walk.first_unanswered(), walk.reached


class Walk:
    """A walk through a dialog's steps to the first unanswered one, which can go on from there
    once that step is answered (`answered`) instead of replaying the steps from the start.

    Going on is the same as replaying only if nothing the steps did before that step depended
    on its answer: the answers record every field a step looked for while it had no answer
    (`Answers.looked_for`), and a step that looked for the one just answered (a look-ahead)
    makes the walk start again. So steps read the answers through `Answers`' methods only."""

    def __init__(self, dialog: Dialog, ctx: DialogContext, answers: Answers) -> None:
        self.dialog = dialog
        self.ctx = ctx
        self.answers = answers
        self.reached: list[str] = []
        self._steps = dialog.steps(ctx, answers)
        answers.looked_for.clear()

    async def first_unanswered(self) -> Step | None:
        """The next step without an answer (None when every step has one)."""
        async for step in self._steps:
            if step.field not in self.answers.data:  # not `in answers`: not a look-ahead
                return step
            self.reached.append(step.field)
        return None

    async def answered(self, step: Step) -> Step | None:
        """`step` (the one `first_unanswered` gave) has its answer in the answers now: the next
        step without one, going on from `step` when no step looked ahead to its answer."""
        if step.field in self.answers.looked_for:
            close = getattr(self._steps, "aclose", None)  # an async generator's, as a rule
            if close is not None:
                await close()
            self.reached = []
            self._steps = self.dialog.steps(self.ctx, self.answers)
            self.answers.looked_for.clear()
        else:
            self.reached.append(step.field)
        return await self.first_unanswered()
