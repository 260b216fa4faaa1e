"""The lean acknowledgement's door (issue 17): a request the bot keeps is kept in front of bolt,
so every check bolt and our middleware made must hold there too. A correctly signed request
from another workspace or Grid organisation is refused with 403 and nothing is kept; a badly
signed or stale one with 401; the bot's own message is ignored; and while Slack does not
confirm the bot's token (`auth.test`), nothing is kept in front of bolt."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import pytest

from storage.clock import FixedClock
from storage.db import transaction
from storage.services import inbound_queue
from tests.fakes.slack_api import BOT_USER_ID, TEAM_ID
from tests.support import slack_requests as raw
from tests.support.database import Database
from tests.support.slack import SlackWorkspace
from tests.support.slack_world import slack_workspace

STRANGER = "USTRANGER"
DISCLOSURE = "mum says he was hit at home"


@pytest.fixture
async def workspace(db: Database, clock: FixedClock) -> AsyncIterator[SlackWorkspace]:
    # Turns are left to a worker, so a delivery that got in would still be in the queue.
    async with slack_workspace(db, clock, serve_runs_turns=False) as workspace:
        yield workspace


async def _waiting(db: Database) -> int:
    async with transaction(db.sessions) as session:
        return await inbound_queue.waiting(session)


async def _post(workspace: SlackWorkspace, body: str, content_type: str, **headers: str) -> int:
    response = await workspace.client.post(
        "/slack/events",
        data=body.encode(),
        headers={"Content-Type": content_type, **workspace.sign(body), **headers},
    )
    return response.status


def _every_kept_kind(team_id: str, n: int) -> list[tuple[str, str]]:
    return [
        (raw.command(STRANGER, f"absent {DISCLOSURE}", team_id=team_id, n=n), raw.FORM),
        (raw.dm(STRANGER, DISCLOSURE, team_id=team_id, n=n), raw.JSON),
        (raw.click(STRANGER, "prompt_choice_x", "yes", team_id=team_id, n=n), raw.FORM),
        (raw.click(STRANGER, "nudge_done", "1", team_id=team_id, n=n), raw.FORM),
        (raw.click(STRANGER, "home_start_absent", "absent", team_id=team_id, n=n), raw.FORM),
    ]


async def test_a_signed_request_from_another_workspace_is_refused_and_not_kept(
    db: Database, workspace: SlackWorkspace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for body, content_type in _every_kept_kind("T0ELSEWHERE", 1):
        assert await _post(workspace, body, content_type) == 403
    assert await _waiting(db) == 0
    assert workspace.api.calls_to("chat.postMessage") == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert DISCLOSURE not in logged
    # The same requests from our workspace are kept (the refusal was the workspace's).
    for body, content_type in _every_kept_kind(TEAM_ID, 2):
        assert await _post(workspace, body, content_type) == 200
    assert await _waiting(db) == 5


async def test_a_signed_request_naming_another_grid_organisation_is_refused(
    db: Database, workspace: SlackWorkspace
) -> None:
    grid = {"enterprise_id": "E0EVIL", "team_id": TEAM_ID, "user_id": "UBOT", "is_bot": True}
    body = raw.dm(STRANGER, DISCLOSURE, enterprise_id="E0EVIL", authorizations=[grid])
    assert await _post(workspace, body, raw.JSON) == 403
    command = raw.command(STRANGER, "help", enterprise_id="E0EVIL")
    assert await _post(workspace, command, raw.FORM) == 403
    assert await _waiting(db) == 0


async def test_a_badly_signed_or_stale_request_is_refused_and_not_kept(
    db: Database, workspace: SlackWorkspace
) -> None:
    body = raw.command(STRANGER, "help")
    forged = {"X-Slack-Signature": "v0=" + "0" * 64}
    assert await _post(workspace, body, raw.FORM, **forged) == 401
    late = workspace.sign(body, timestamp=int(time.time()) - 6 * 60)
    assert await _post(workspace, body, raw.FORM, **late) == 401
    other_secret = raw.dm(STRANGER, DISCLOSURE)
    resigned = workspace.sign(other_secret.replace(DISCLOSURE, "changed after signing"))
    assert await _post(workspace, other_secret, raw.JSON, **resigned) == 401
    assert await _waiting(db) == 0


async def test_the_bots_own_message_is_ignored(db: Database, workspace: SlackWorkspace) -> None:
    assert await _post(workspace, raw.dm(BOT_USER_ID, "a question I posted"), raw.JSON) == 200
    assert await _waiting(db) == 0


async def test_nothing_is_kept_while_slack_does_not_confirm_the_token(
    db: Database, workspace: SlackWorkspace
) -> None:
    workspace.api.fail_next("auth.test", "invalid_auth")  # the lean path's question
    workspace.api.fail_next("auth.test", "invalid_auth")  # bolt's own, on its path
    status = await _post(workspace, raw.command(STRANGER, "help"), raw.FORM)
    assert status != 403 and await _waiting(db) == 0  # bolt's answer: reinstall the app
    # Once Slack answers, the request is kept.
    assert await _post(workspace, raw.command(STRANGER, "help", n=2), raw.FORM) == 200
    assert await _waiting(db) == 1
