"""The door reads a form and measures a payload's depth faster than urllib and a plain walk
(issue 17's lean acknowledgement), and must read exactly what they read: the payload the turn
is given, and what is refused as too deep, are the same as before."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, unquote, urlencode

from hypothesis import example, given, settings
from hypothesis import strategies as st
from slack_bolt.request.internals import parse_body

from bot.channels.slack import door
from tests.support import slack_requests as raw

# Text rich in what percent-decoding treats specially: escapes (valid, half, lower-case,
# of bytes that are not UTF-8), `=`, `+`, `&`, line ends and characters beyond ASCII.
pieces = st.sampled_from(
    [
        *("%", "%2", "%22", "%7b", "%7B", "%C3%A9", "%C3", "%ff", "%zz", "%3D", "%25"),
        *("=", "=3D", "+", "&", "\n", "\r", " ", "a", "Z", "0", "9", "f", "F", "é", "✓"),
        "payload",
    ]
)
form_like = st.lists(pieces | st.text(max_size=4), max_size=30).map("".join)
# No deadline: a shared machine must not fail a test of what is read.
unhurried = settings(deadline=None)


@unhurried
@given(form_like)
@example("payload=%7B%22a%22%3A+1%7D")
@example("a=%E2%9C%93&a=%e2%9c%93&b&=c&&d=%")
def test_a_form_reads_as_parse_qs_reads_it(body: str) -> None:
    assert door.form_fields(body) == parse_qs(body, keep_blank_values=True)


@unhurried
@given(form_like)
def test_a_value_unquotes_as_urllib_unquotes_it(text: str) -> None:
    assert door._unquote(text) == unquote(text)


def test_a_click_reads_as_bolt_reads_it() -> None:
    body = raw.click("UPERSON", "prompt_choice_0", "1 & 2 = 3 ✓ 100%", n=7)
    assert door.form_fields(body) == parse_qs(body, keep_blank_values=True)
    payload = json.loads(door.form_fields(body)["payload"][-1])
    assert payload["actions"][0]["value"] == "1 & 2 = 3 ✓ 100%"


def _depth_by_walking_everything(value: object, limit: int) -> bool:
    """The walk the door did before: every value stacked with its depth."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner),
    max_leaves=40,
)


@unhurried
@given(json_values, st.integers(min_value=1, max_value=6))
def test_depth_is_measured_as_before(value: object, limit: int) -> None:
    assert door._depth_within(value, limit) == _depth_by_walking_everything(value, limit)


def test_a_payload_nested_past_slacks_depth_is_still_refused() -> None:
    for deepest, refused in ((door.MAX_DEPTH - 1, False), (door.MAX_DEPTH, True)):
        nested: object = "x"  # a string inside `deepest` arrays: `deepest + 1` levels
        for _ in range(deepest - 1):
            nested = [nested]
        body = urlencode({"payload": json.dumps({"type": "block_actions", "x": nested})})
        _, refusal = door.check_shape(body.encode(), raw.FORM)
        assert (refusal == door.NOT_SLACK_SHAPED) is refused


@unhurried
@given(form_like)
@example("command=%2Fap&text=a+%26+b&text=last&user_id=U1")
def test_a_slash_commands_form_is_given_to_the_turn_as_bolt_gives_it(body: str) -> None:
    shaped, refusal = door.check_shape(body.encode(), raw.FORM)
    if refusal is None and "payload" not in body and not body.startswith("{"):
        assert door.bolt_body(shaped, raw.FORM) == parse_body(body, raw.FORM)
