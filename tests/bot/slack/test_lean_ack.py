"""The lean acknowledgement (issue 17): a request the bot keeps is verified, kept and answered
in front of bolt. It must keep exactly what bolt's listener would have been given, as the same
kind of turn, and answer exactly what bolt's `ack()` answers; what the bot does not keep still
goes through bolt."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body
from sqlalchemy import select

from bot.channels.slack import blocks, kinds
from storage.clock import FixedClock
from storage.models import QueuedTurn
from tests.support import slack_requests as raw
from tests.support.database import Database
from tests.support.slack import SlackWorkspace
from tests.support.slack_world import slack_workspace

USER = "UPERSON"


@pytest.fixture
async def workspace(db: Database, clock: FixedClock) -> AsyncIterator[SlackWorkspace]:
    # Turns are left to a worker, so what was kept stays in the queue to be read.
    async with slack_workspace(db, clock, serve_runs_turns=False) as workspace:
        yield workspace


async def _kept(db: Database) -> list[QueuedTurn]:
    async with db.sessions() as session:
        return list(await session.scalars(select(QueuedTurn).order_by(QueuedTurn.id)))


KEPT_REQUESTS = {
    "a slash command": (raw.command(USER, "absent AP-7K3Q &amp; more", n=1), raw.FORM, "/ap"),
    "a typed DM": (raw.dm(USER, "Reason: unwell <sick> ✓", n=2), raw.JSON, "message"),
    "a question's button": (
        raw.click(USER, f"{blocks.CHOICE}x", "yes", n=3),
        raw.FORM,
        "prompt action",
    ),
    "a nudge's button": (raw.click(USER, f"{blocks.NUDGE}done", "17", n=4), raw.FORM, "nudge"),
    "a form with two payloads (bolt reads the last)": (
        raw.click(USER, f"{blocks.NUDGE}done", "1", n=6)
        + "&"
        + raw.click(USER, f"{blocks.CHOICE}y", "no", n=7),
        raw.FORM,
        "prompt action",
    ),
    "JSON with a charset": (
        raw.dm(USER, "typed", n=8),
        raw.JSON + "; charset=utf-8",
        "message",
    ),
    "a home tab's button": (
        raw.click(USER, f"{blocks.HOME_START}_absent", "absent", n=5),
        raw.FORM,
        "home start",
    ),
}


@pytest.mark.parametrize("case", list(KEPT_REQUESTS))
async def test_the_lean_path_keeps_what_bolts_listener_would_have_kept(
    db: Database, workspace: SlackWorkspace, case: str
) -> None:
    body, content_type, kind = KEPT_REQUESTS[case]
    # The lean path: signed, over HTTP.
    response = await workspace.client.post(
        "/slack/events",
        data=body.encode(),
        headers={"Content-Type": content_type, **workspace.sign(body)},
    )
    assert response.status == 200
    assert await response.text() == ""
    lean_type = response.headers["Content-Type"]
    # bolt's path: the same body dispatched by bolt, its listener keeping it.
    bolt = await workspace.slack.app.async_dispatch(
        AsyncBoltRequest(body=body, headers={"content-type": content_type})
    )
    assert (bolt.status, bolt.body) == (200, "")
    assert lean_type.startswith(bolt.headers["content-type"][0].split(";")[0])

    lean_row, bolt_row = await _kept(db)
    assert lean_row.payload == bolt_row.payload == parse_body(body, content_type.split(";")[0])
    assert lean_row.kind == bolt_row.kind == kind
    assert lean_row.sender == bolt_row.sender == f"slack:{USER}"


async def test_what_the_bot_does_not_keep_is_not_kept_either_way(
    db: Database, workspace: SlackWorkspace
) -> None:
    ticked = raw.click(USER, blocks.CHECKS, "a", n=16)  # a box ticked: state only
    edited = raw.dm(USER, "typo", n=17)
    edited = edited.replace('"channel_type": "im"', '"channel_type": "im", "subtype": "x"')
    other_command = raw.command(USER, "help", n=18).replace("%2Fap", "%2Fother")
    for body, content_type in ((ticked, raw.FORM), (edited, raw.JSON), (other_command, raw.FORM)):
        assert kinds.kept_kind(parse_body(body, content_type)) is None
        response = await workspace.client.post(
            "/slack/events",
            data=body.encode(),
            headers={"Content-Type": content_type, **workspace.sign(body)},
        )
        assert response.status in (200, 404)  # bolt's answer: no listener for /other
    assert await _kept(db) == []


async def test_url_verification_is_still_answered_by_bolt(workspace: SlackWorkspace) -> None:
    body = '{"type": "url_verification", "challenge": "c-123", "token": "legacy"}'
    response = await workspace.client.post(
        "/slack/events",
        data=body.encode(),
        headers={"Content-Type": raw.JSON, **workspace.sign(body)},
    )
    assert response.status == 200
    assert "c-123" in await response.text()
