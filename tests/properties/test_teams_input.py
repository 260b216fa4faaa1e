"""Random Adaptive Card submissions and odd activities posted to /api/messages: never a 5xx,
never a logged error, never an apology for a fault of ours, and no half-saved record."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes.bot_connector import FakeBotConnector
from tests.support.database import Database
from tests.support.factories import World
from tests.support.invariants import (
    assert_no_fault_of_ours,
    assert_nothing_logged,
    assert_records_whole,
)
from tests.support.strategies import any_text, json_values, prompt_ids, random_answer, typed
from tests.support.teams import Chat, TeamsUser, text_of

PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
card_value = st.fixed_dictionaries(
    {},
    optional={
        "prompt_id": prompt_ids,
        "answer": typed | json_values,
        "kind": st.sampled_from(["choice", "multichoice", "yesno", "confirm", "date"]) | any_text,
        "word": typed,
        "action": any_text | json_values,
        "dialog": any_text,
    },
) | st.dictionaries(st.text(max_size=10), json_values, max_size=5)
extra_fields = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(
            ["message", "invoke", "conversationUpdate", "messageReaction", "typing", "event"]
        )
        | any_text,
        "text": random_answer.map(str),
        "value": card_value | json_values,
        "replyToId": any_text,
        "name": st.sampled_from(["adaptiveCard/action", "task/fetch"]) | any_text,
        "membersAdded": st.lists(st.fixed_dictionaries({"id": any_text}), max_size=2),
        "attachments": st.lists(st.dictionaries(st.text(max_size=8), json_values), max_size=2),
    },
)


@pytest.fixture
def tess(client: TestClient[Any, Any], connector: FakeBotConnector, world: World) -> TeamsUser:
    connector.add_member("29:tess", email=world.teacher.email, aad_object_id="aad-tess")
    return TeamsUser(client, connector, "29:tess", "aad-tess", name="Tess Teacher")


@PROPERTY_SETTINGS
@given(data=st.data())
async def test_random_card_submissions_and_activities_never_get_a_5xx(
    db: Database, tess: TeamsUser, data: st.DataObject, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.clear()
    caplog.set_level(logging.WARNING)
    chat = Chat.personal("29:tess")
    before = len(tess.connector.delivered())
    start = data.draw(st.sampled_from(["start", "absent", "visit", "welfare", "end", "help"]))
    assert await tess.post(tess.activity(chat, text=start)) < 500
    for turn in range(data.draw(st.integers(1, 5), label="turns")):
        fields = data.draw(extra_fields, label=f"activity {turn}")
        status = await tess.post(tess.activity(chat, **fields))
        # 501 is the Bot Framework's answer to an invoke no handler takes (not a crash).
        assert status < 500 or (status == 501 and fields.get("type") == "invoke"), fields
    assert await tess.post(tess.activity(chat, text="cancel")) < 500
    assert_no_fault_of_ours(text_of(tess.connector.delivered()[before:]))
    assert_nothing_logged(caplog.records)
    await assert_records_whole(db)


async def test_an_attachment_that_is_not_an_object_gets_a_4xx(tess: TeamsUser) -> None:
    chat = Chat.personal("29:tess")
    assert await tess.post(tess.activity(chat, attachments=[[]])) < 500
