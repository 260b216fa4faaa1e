"""Malformed and hostile requests to /slack/events, all correctly signed (so they get past the
signature check and reach our handlers): never a 5xx, never a logged error, never an apology
for a fault of ours, and no half-saved record."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.channels.slack import blocks
from tests.fakes.slack_api import TEAM_ID
from tests.support.database import Database
from tests.support.factories import World
from tests.support.invariants import (
    assert_no_fault_of_ours,
    assert_nothing_logged,
    assert_records_whole,
)
from tests.support.slack import SlackWorkspace
from tests.support.strategies import any_text, json_values, prompt_ids, random_answer, typed

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TEACHER = "UTEACHER"
PROVIDER = "UPROVIDER"
json_objects = st.dictionaries(st.text(max_size=10), json_values, max_size=5)
users = st.sampled_from([TEACHER, PROVIDER, "UNOBODY", ""]) | any_text

action = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["button", "static_select", "datepicker", "timepicker", "x"]),
        "action_id": st.sampled_from(
            [
                f"{blocks.CHOICE}_0",
                f"{blocks.WORD}_yes",
                blocks.SELECT,
                blocks.DATE,
                blocks.TIME,
                blocks.SUBMIT,
                blocks.TEXT,
                blocks.HOME_START,
                f"{blocks.NUDGE}x",
            ]
        )
        | any_text,
        "block_id": prompt_ids.map(lambda p: p + blocks.HINT_SUFFIX) | prompt_ids,
    },
    optional={
        "value": typed,
        "selected_option": st.one_of(
            json_values, st.fixed_dictionaries({"value": typed, "text": json_values})
        ),
        "selected_date": typed,
        "selected_time": typed,
    },
)
interaction = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["block_actions", "view_submission", "shortcut", "message_action", "view_closed"]
        )
        | any_text,
        "user": st.builds(lambda u: {"id": u, "team_id": TEAM_ID}, users),
    },
    optional={
        "team": st.just({"id": TEAM_ID}),
        "api_app_id": st.just("A0001"),
        "actions": st.lists(action, max_size=3),
        "container": st.fixed_dictionaries(
            {"type": st.just("message"), "message_ts": any_text, "channel_id": any_text}
        ),
        "channel": st.builds(lambda c: {"id": c}, any_text),
        "message": json_objects,
        "state": st.fixed_dictionaries({"values": json_objects}),
        "trigger_id": any_text,
        "response_url": st.just("http://127.0.0.1:1/nowhere"),
        "view": json_objects,
    },
)
event = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["message", "app_home_opened", "app_mention", "member_joined_channel", "reaction"]
        )
        | any_text
    },
    optional={
        "user": users,
        "text": random_answer.map(str),
        "channel": st.sampled_from([f"D{TEACHER}", "C123"]) | any_text,
        "channel_type": st.sampled_from(["im", "channel", "mpim"]) | any_text,
        "ts": any_text,
        "subtype": st.sampled_from(["bot_message", "message_changed", "file_share"]) | any_text,
        "files": st.lists(json_objects, max_size=2),
        "bot_id": any_text,
        "tab": any_text,
    },
)


def _is_a_json_object(text: str) -> bool:
    """Slack always sends a JSON object. Anything else (`null`, `[]`, `back`, `{`) is the
    known 500, tested on its own below, and kept out of the random requests so that they can
    find anything else."""
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


@st.composite
def requests(draw: st.DrawFn, workspace: SlackWorkspace) -> tuple[str, str]:
    """A body and its content type."""
    form = "application/x-www-form-urlencoded"
    kind = draw(st.sampled_from(["json", "form", "interaction", "event", "command"]))
    if kind == "json":
        return json.dumps(draw(json_objects)), "application/json"
    if kind == "form":
        names = st.sampled_from(["payload", "command", "text"]) | any_text
        fields = draw(st.dictionaries(names, typed))
        if "payload" in fields and not _is_a_json_object(fields["payload"]):
            fields["payload"] = "{}"
        return urlencode(fields), form
    if kind == "interaction":
        return urlencode({"payload": json.dumps(draw(interaction))}), form
    if kind == "event":
        body: dict[str, Any] = json.loads(workspace.event_body(draw(event)))
        return json.dumps(body), "application/json"
    command = {
        "team_id": TEAM_ID,
        "channel_id": draw(st.sampled_from([f"D{TEACHER}", "C123"]) | any_text),
        "user_id": draw(users),
        "command": draw(st.sampled_from(["/ap", "/other"]) | any_text),
        "text": draw(random_answer.map(str)),
        "response_url": workspace.api.response_url("fuzz"),
        "trigger_id": "trigger.fuzz",
    }
    return urlencode(command), form


@pytest.fixture
def linked(workspace: SlackWorkspace, world: World) -> SlackWorkspace:
    """The workspace with two members the bot knows by email."""
    workspace.api.add_user(TEACHER, email=world.teacher.email)
    workspace.api.add_user(PROVIDER, email=world.provider_staff.email)
    return workspace


@PROPERTY_SETTINGS
@given(data=st.data())
async def test_malformed_slack_requests_never_get_a_5xx(
    db: Database, linked: SlackWorkspace, data: st.DataObject, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.clear()
    caplog.set_level(logging.WARNING)
    before = len(linked.api.calls)
    body, content_type = data.draw(requests(linked), label="request")
    status = await linked.post(body, content_type)
    assert status < 500, (status, body[:300])
    for call in linked.api.calls[before:]:
        assert_no_fault_of_ours(str(call.args))
    assert_nothing_logged(caplog.records)
    await assert_records_whole(db)


@PROPERTY_SETTINGS
@given(data=st.data())
async def test_random_typing_in_a_slack_dm_gets_clear_replies(
    db: Database, linked: SlackWorkspace, data: st.DataObject, caplog: pytest.LogCaptureFixture
) -> None:
    """Out-of-order clicks too: any interactive element of any message posted so far."""
    caplog.clear()
    caplog.set_level(logging.WARNING)
    before = len(linked.api.calls)
    user = data.draw(st.sampled_from([TEACHER, PROVIDER]), label="user")
    start = data.draw(st.sampled_from(["start", "absent", "visit", "welfare", "present", "end"]))
    assert await linked.command(user, start) < 500
    for turn in range(data.draw(st.integers(0, 6), label="turns")):
        # The same draws every turn whatever the bot posted (hypothesis replays examples).
        click = data.draw(st.booleans(), label=f"click {turn}")
        pick = data.draw(st.integers(0, 10_000), label=f"element {turn}")
        answer = str(data.draw(random_answer, label=f"answer {turn}"))
        posted = linked.posted(user=user)[-3:]  # the latest messages, and older ones: out of order
        elements = [(m, e) for m in posted for e in m.elements()]
        if click and elements:
            message, (block_id, element) = elements[pick % len(elements)]
            status = await linked.act(user, message, {"block_id": block_id, **element})
        else:
            status = await linked.dm(user, answer)
        assert status < 500
    assert await linked.dm(user, "cancel") < 500
    for call in linked.api.calls[before:]:
        assert_no_fault_of_ours(str(call.args))
    assert_nothing_logged(caplog.records)
    await assert_records_whole(db)


@pytest.mark.parametrize(
    "body", ["null", "[]", "1", '"x"', "true", "[{}]", "{", '{"a":', "back", "\x00"]
)
@pytest.mark.parametrize("form", [False, True])
async def test_a_signed_body_that_is_not_a_json_object_gets_a_4xx(
    workspace: SlackWorkspace, body: str, form: bool
) -> None:
    if form:
        status = await workspace.post(
            urlencode({"payload": body}), "application/x-www-form-urlencoded"
        )
    else:
        status = await workspace.post(body, "application/json")
    assert 400 <= status < 500


ODD_PAYLOAD = {"type": "block_actions", "user": None, "team": {"id": TEAM_ID}, "view": None}


@PROPERTY_SETTINGS
@example(payload=ODD_PAYLOAD)
@given(
    payload=st.dictionaries(
        st.sampled_from(["type", "user", "actions", "view", "team", "channel", "container"]),
        json_values,
        max_size=6,
    )
)
async def test_an_interaction_of_odd_shape_gets_a_4xx(
    workspace: SlackWorkspace, payload: dict[str, Any]
) -> None:
    body = urlencode({"payload": json.dumps(payload)})
    assert await workspace.post(body, "application/x-www-form-urlencoded") < 500
