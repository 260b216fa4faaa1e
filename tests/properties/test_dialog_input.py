"""Every dialog, fed random answers in random order: the bot always answers clearly (an error
and the same question again, or a message), never apologises for a fault of its own, leaves no
half-saved record, and `cancel` always leaves no dialog behind."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogs.commands import all_dialogs
from storage.clock import FixedClock
from storage.models import Person
from tests.support.chat import JsonChat
from tests.support.database import Database
from tests.support.factories import World
from tests.support.invariants import (
    assert_nothing_logged,
    assert_records_whole,
    assert_replies_are_clear,
    dialog_states,
)
from tests.support.strategies import random_answer

PROPERTY_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ROLES = ["teacher", "dsl", "provider_staff", "la_officer", "admin"]
ALL_WORDS = sorted({word for dialog in all_dialogs() for word in (dialog.name, *dialog.words)})


def _words_for(person: Person) -> list[str]:
    return sorted(
        {
            word
            for dialog in all_dialogs()
            if person.role in dialog.roles
            for word in (dialog.name, *dialog.words)
        }
    )


def _answer_to(prompt: dict[str, Any], seen_ids: list[str]) -> st.SearchStrategy[Any]:
    """Answers to this question: mostly sensible ones (to get deep into the dialog), some
    random ones, and clicks on questions asked earlier (out of order)."""
    sensible: list[Any] = ["", "skip", "yes", "1"]
    for choice in prompt.get("choices") or []:
        sensible += [choice["value"], choice["label"]]
        sensible.append({"value": [choice["value"]], "prompt_id": prompt.get("prompt_id", "")})
    if prompt.get("default"):
        sensible.append(prompt["default"])
    strategies: list[st.SearchStrategy[Any]] = [st.sampled_from(sensible), random_answer]
    if seen_ids:
        strategies.append(
            st.builds(
                lambda pid, value: {"value": value, "prompt_id": pid},
                st.sampled_from(seen_ids),
                st.one_of(
                    st.lists(st.sampled_from(["", "skip", "yes", "1", "2", "back"])), random_answer
                ),
            )
        )
    return st.one_of(*strategies)


async def _converse(
    db: Database,
    chat: JsonChat,
    data: st.DataObject,
    words: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Start a dialog and answer it at random for a few turns, checking every reply."""
    start = data.draw(
        st.one_of(
            st.sampled_from(words),
            st.sampled_from(ALL_WORDS),
            st.builds(lambda w, rest: f"{w} {rest}", st.sampled_from(words), random_answer),
        ),
        label="start",
    )
    out = await chat.say(start if isinstance(start, str) else str(start))
    assert_replies_are_clear(out)
    seen_ids: list[str] = []
    for turn in range(data.draw(st.integers(0, 12), label="turns")):
        if not out or out[-1]["type"] != "prompt":
            break
        asked = out[-1]
        seen_ids.append(asked.get("prompt_id", ""))
        answer = data.draw(_answer_to(asked, seen_ids), label=f"answer {turn}")
        out = await chat.say(answer)
        assert_replies_are_clear(out)
        if any(reply["type"] == "error" for reply in out) and await dialog_states(
            db, chat.person.id
        ):
            # Refused while in a dialog: the question (maybe an earlier one) is asked again.
            assert out[-1]["type"] == "prompt", out
        assert_nothing_logged(caplog.records)


@pytest.mark.parametrize("role", ROLES)
@PROPERTY_SETTINGS
@given(data=st.data())
async def test_random_answers_get_clear_replies_and_leave_whole_records(
    db: Database,
    clock: FixedClock,
    world: World,
    role: str,
    data: st.DataObject,
    caplog: pytest.LogCaptureFixture,
) -> None:
    person: Person = getattr(world, role)
    chat = JsonChat(db, clock, person)
    caplog.clear()
    caplog.set_level(logging.WARNING)
    try:
        await _converse(db, chat, data, _words_for(person), caplog)
    finally:
        # Whatever happened, cancel ends it and nothing of the dialog is left.
        out = await chat.say("cancel")
    assert_replies_are_clear(out)
    assert await dialog_states(db, person.id) == 0, chat.transcript[-6:]
    await assert_records_whole(db)
    assert_nothing_logged(caplog.records)


async def test_a_choice_answered_with_thousands_of_digits_is_refused_clearly(
    db: Database, clock: FixedClock, world: World
) -> None:
    chat = JsonChat(db, clock, world.teacher)
    assert chat.say and (await chat.say("absence"))[-1]["type"] == "prompt"
    out = await chat.say("0" * 4301)
    assert_replies_are_clear(out)
    assert out[-1]["type"] == "prompt"
