"""The engine's walk through a dialog's steps goes on from the question just answered, instead of
replaying the steps from the start (docs/performance.md), and gives the next question a replay
would: a step that looked ahead to that answer before it was given makes the walk start again."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dialogs.context import Answers, DialogContext
from dialogs.engine import Dialog, Step, Walk, current_step
from dialogs.prompts import PromptKind
from storage.access import Action
from storage.models import Person
from tests.support.factories import build_world


class _Visit(Dialog):
    """A small dialog: a question whose wording depends on an earlier answer, and (with
    `look_ahead`) one worded before a later question by whether that one is answered yet."""

    name = "walk_test"
    title = "walk test"
    words = ("walk test",)
    needs = Action.report_attendance
    summary = "a dialog for the walk's tests"

    def __init__(self, *, look_ahead: bool, given: bool = False) -> None:
        self.look_ahead = look_ahead
        self.given = given
        self.walks = 0

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        self.walks += 1
        settled = self.look_ahead and "when" in answers  # read before "when" is asked
        # Work only while "who" is the question, skipped once answered (as a list to pick from).
        asking = self.given and not answers.given("who")
        yield Step("who", PromptKind.text, "Who? (listed)" if asking else "Who?")
        yield Step("when", PromptKind.text, f"When did you see {answers.text('who')}?")
        yield Step("what", PromptKind.text, "What happened?" + (" (dated)" if settled else ""))
        yield Step("confirm", PromptKind.confirm, "Save?")


async def _context(db, clock) -> DialogContext:  # type: ignore[no-untyped-def]
    world = await build_world(db, clock)
    session = db.sessions()
    person = await session.get(Person, world.teacher.id)
    assert person is not None
    return DialogContext(session, person, clock, "terminal", "dm")


async def _next_after(
    dialog: _Visit, ctx: DialogContext, given: dict[str, str], field: str, answer: str
) -> tuple[Step | None, list[str]]:
    """The next question once `field` is answered, as the runner finds it in a turn."""
    answers = Answers(given)
    walk = Walk(dialog, ctx, answers)
    step = await walk.first_unanswered()
    assert step is not None and step.field == field
    answers.data[field] = answer
    following = await walk.answered(step)
    return following, walk.reached


async def test_the_walk_goes_on_from_the_answer_and_finds_what_a_replay_finds(db, clock) -> None:
    ctx = await _context(db, clock)
    try:
        dialog = _Visit(look_ahead=False)
        following, reached = await _next_after(dialog, ctx, {}, "who", "Sam")
        assert following is not None and following.text == "When did you see Sam?"
        assert reached == ["who"]
        assert dialog.walks == 1  # no replay
        replayed, replay_reached = await current_step(dialog, ctx, Answers({"who": "Sam"}))
        assert replayed is not None and (replayed.field, replayed.text) == (
            following.field,
            following.text,
        )
        assert replay_reached == reached
        # The last answer: nothing left to ask, every field reached (what the save keeps).
        last, reached = await _next_after(
            dialog, ctx, {"who": "Sam", "when": "today", "what": "A visit"}, "confirm", "yes"
        )
        assert last is None and reached == ["who", "when", "what", "confirm"]
    finally:
        await ctx.session.close()


async def test_a_step_that_looked_ahead_to_the_answer_is_walked_again(db, clock) -> None:
    ctx = await _context(db, clock)
    try:
        dialog = _Visit(look_ahead=True)
        following, reached = await _next_after(dialog, ctx, {"who": "Sam"}, "when", "today")
        # Going on from "when" would ask "What happened?" as worded before it was answered.
        assert following is not None and following.text == "What happened? (dated)"
        assert reached == ["who", "when"]
        assert dialog.walks == 2
        # A look-ahead to another question than the one answered needs no replay.
        dialog = _Visit(look_ahead=True)
        following, _ = await _next_after(dialog, ctx, {}, "who", "Sam")
        assert following is not None and following.field == "when"
        assert dialog.walks == 1
    finally:
        await ctx.session.close()


async def test_a_step_skipping_work_its_own_answer_makes_needless_is_not_walked_again(
    db, clock
) -> None:
    """`Answers.given` is no look-ahead: what it skips is the question's own (its wording, a
    list to pick from), which nothing after it uses."""
    ctx = await _context(db, clock)
    try:
        dialog = _Visit(look_ahead=False, given=True)
        answers = Answers()
        walk = Walk(dialog, ctx, answers)
        asked = await walk.first_unanswered()
        assert asked is not None and asked.text == "Who? (listed)"
        answers.data["who"] = "Sam"
        following = await walk.answered(asked)
        assert following is not None and following.text == "When did you see Sam?"
        assert dialog.walks == 1
        assert (await current_step(dialog, ctx, Answers({"who": "Sam"})))[0] == following
    finally:
        await ctx.session.close()
