"""The door in front of the Slack listeners (issue 13, findings 7, 8 and 3's workspace check).

- A request that fails verification is logged by its reason only: no body, no header value
  (bolt logged the whole body: log forging, log filling, a late DM's disclosure in clear).
- Malformed requests, signed or not, get 4xx, never 500.
- A correctly signed request from another workspace (a distributed app shares one signing
  secret) or another Enterprise Grid organisation is refused, and nobody is linked by it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from dialogs import wording
from storage.clock import FixedClock
from storage.models import Person
from tests.support.database import Database
from tests.support.factories import build_world
from tests.support.slack import SlackWorkspace
from tests.support.slack_world import post_raw, signed_headers, slack_workspace

TEACHER = "UTEACHER"
DISCLOSURE = "Reason: mum says he was hit at home"
FORGED_LINE = "\n2026-11-29 09:00:00 INFO bot: admin granted dsl to mallory"


@pytest.fixture
async def workspace(db: Database, clock: FixedClock) -> AsyncIterator[SlackWorkspace]:
    async with slack_workspace(db, clock) as workspace:
        yield workspace


def _dm_body(workspace: SlackWorkspace, text: str, **top: object) -> str:
    event = {"type": "message", "channel_type": "im", "channel": f"D{TEACHER}", "user": TEACHER}
    body = json.loads(workspace.event_body({**event, "text": text}))
    body.update(top)
    return json.dumps(body)


async def test_a_refused_request_writes_no_body_to_any_log(
    db, clock, workspace, caplog: pytest.LogCaptureFixture
) -> None:
    world = await build_world(db, clock)
    workspace.api.add_user(TEACHER, email=world.teacher.email)
    caplog.set_level(logging.DEBUG)
    body = _dm_body(workspace, DISCLOSURE + FORGED_LINE)
    forged = {"X-Slack-Signature": "v0=" + "0" * 64}
    assert await workspace.post(body, "application/json", headers=forged) == 401
    # Genuine, but late: Slack's own retry of a DM sent more than five minutes ago.
    late = workspace.sign(body, timestamp=int(time.time()) - 6 * 60)
    assert await workspace.post(body, "application/json", headers=late) == 401
    no_number = {"X-Slack-Request-Timestamp": "soon INFO forged", "X-Slack-Signature": "v0=1"}
    assert await workspace.post(body, "application/json", headers=no_number) == 401

    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records)
    assert "mum says" not in logged and "mallory" not in logged and "forged" not in logged
    assert "0" * 64 not in logged  # nor the signature it sent
    refusals = [r for r in caplog.records if "refused a request" in r.getMessage()]
    assert len(refusals) == 3 and all("\n" not in r.getMessage() for r in refusals)
    assert workspace.api.calls_to("chat.postMessage") == []


async def test_malformed_requests_get_4xx_never_500(db, clock, workspace) -> None:
    world = await build_world(db, clock)
    event = b'{"type": "event_callback", "team_id": "T0001", "event": '
    deep = event + b"[" * 5000 + b"]" * 5000 + b"}"
    cases = {
        "a timestamp that is not a number": (b"{}", "application/json", "1e9"),
        "a body that is not UTF-8": (
            b"payload=\xff\xfe\xfa",
            "application/x-www-form-urlencoded",
            None,
        ),
        "JSON nested 5,000 deep": (deep, "application/json", None),
        "JSON nested 5,000 deep in a form": (
            b"payload=" + b"%5B" * 5000,
            "application/x-www-form-urlencoded",
            None,
        ),
        "a null body": (b"null", "application/json", None),
        "a null payload": (b"payload=null", "application/x-www-form-urlencoded", None),
        "an empty body": (b"", "application/json", None),
    }
    for name, (body, content_type, timestamp) in cases.items():
        signed = signed_headers(body, timestamp=timestamp, content_type=content_type)
        status = await post_raw(workspace, body, signed)
        assert 400 <= status < 500, f"{name} (signed): {status}"
        unsigned = {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp or "1"}
        status = await post_raw(workspace, body, unsigned)
        assert 400 <= status < 500, f"{name} (unsigned): {status}"
    # Brackets a person typed are text, not nesting: their message is answered.
    workspace.api.add_user(TEACHER, email=world.teacher.email)
    assert await workspace.post(_dm_body(workspace, "[" * 200), "application/json") == 200
    assert workspace.last(user=TEACHER).words


async def test_a_signed_request_from_another_workspace_is_refused(db, clock, workspace) -> None:
    world = await build_world(db, clock)
    workspace.api.add_user(TEACHER, email=world.teacher.email)
    other_team = _dm_body(workspace, "status", team_id="T0EVIL", authorizations=[])
    assert await workspace.post(other_team, "application/json") == 403
    grid = {"enterprise_id": "E0EVIL", "team_id": "T0001", "user_id": "UBOT", "is_bot": True}
    other_grid = _dm_body(workspace, "status", enterprise_id="E0EVIL", authorizations=[grid])
    assert await workspace.post(other_grid, "application/json") == 403
    # A slash command as another workspace sends it.
    await workspace.command(TEACHER, "status")
    sent = workspace.api.calls_to("response_url")
    assert len(sent) == 0 and len(workspace.api.calls_to("chat.postMessage")) == 1
    workspace.api.clear()
    command = urlencode(
        {
            "team_id": "T0EVIL",
            "user_id": TEACHER,
            "channel_id": "DX",
            "command": "/ap",
            "text": "status",
            "trigger_id": "t.1",
            "response_url": workspace.api.response_url(),
        }
    )
    assert await workspace.post(command, "application/x-www-form-urlencoded") == 403
    assert workspace.api.calls_to("chat.postMessage") == []
    assert workspace.api.calls_to("response_url") == []


async def test_only_the_configured_workspace_is_accepted(db, clock) -> None:
    world = await build_world(db, clock)
    async with slack_workspace(db, clock, slack_team_id="T0SCHOOL") as workspace:
        workspace.api.add_user(TEACHER, email=world.teacher.email)
        # The fake Slack's workspace is T0001: not the one configured.
        assert await workspace.dm(TEACHER, "status") == 403
        assert workspace.api.calls_to("chat.postMessage") == []
        async with db.sessions() as session:
            linked = await session.scalar(
                select(func.count()).select_from(Person).where(Person.slack_user_id.is_not(None))
            )
        assert linked == 0


async def test_a_guest_from_another_workspace_is_not_linked_by_email(db, clock, workspace) -> None:
    world = await build_world(db, clock)
    # In a Slack Connect channel: a member of another workspace, whose admin set this email.
    workspace.api.add_user("UGUEST", email=world.dsl.email)
    workspace.api.users["UGUEST"]["team_id"] = "T0EVIL"
    await workspace.dm("UGUEST", "status")
    assert workspace.last(user="UGUEST").words == wording.NO_ACCESS
    async with db.sessions() as session:
        dsl = await session.get(Person, world.dsl.id)
        assert dsl is not None and dsl.slack_user_id is None
