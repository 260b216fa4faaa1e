"""Issue 13, finding 8 (Teams): unauthenticated requests that answered 500, and a signing-key
fetch that stopped the whole server. Every one now gets a 4xx (and the keys are fetched without
blocking, with a time limit)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import jwt
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.channels.teams.adapter import TeamsAdapter
from bot.channels.teams.routes import TEAMS
from bot.runtime import Runtime
from bot.server import build_app
from storage.models import DialogState
from tests.fakes.bot_connector import KEY_ID, FakeBotConnector
from tests.support.database import Database
from tests.support.strategies import json_values
from tests.support.teams import Chat, TeamsUser
from tests.support.teams_apps import APP_ID, app_id_settings


def _activity(connector: FakeBotConnector, **fields: Any) -> dict[str, Any]:
    user = TeamsUser(None, connector, "29:someone", "aad-someone")  # type: ignore[arg-type]
    return user.activity(Chat.personal("someone"), text="help", **fields)


async def _post(client: TestClient[Any, Any], body: Any, token: str | None = None) -> int:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = body if isinstance(body, str | bytes) else None
    response = await client.post(
        "/api/messages", data=data, json=None if data else body, headers=headers
    )
    return response.status


async def _no_turn_ran(db: Database, connector: FakeBotConnector) -> None:
    assert connector.sent == []
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DialogState)) == 0


async def test_a_token_with_no_issuer_is_401(db, connector, registered_bot) -> None:
    token = connector.token(app_id=APP_ID, without=("iss",))
    assert await _post(registered_bot, _activity(connector), token) == 401
    await _no_turn_ran(db, connector)


async def test_a_token_naming_an_unknown_key_is_401(db, connector, registered_bot) -> None:
    token = connector.token(app_id=APP_ID, kid="no-such-key")
    assert await _post(registered_bot, _activity(connector), token) == 401
    await _no_turn_ran(db, connector)


async def test_a_token_signed_by_someone_else_is_401(db, connector, registered_bot) -> None:
    genuine = connector.token(app_id=APP_ID)
    claims = jwt.decode(genuine, options={"verify_signature": False})
    someone_else = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, someone_else, algorithm="RS256", headers={"kid": KEY_ID})
    assert await _post(registered_bot, _activity(connector), forged) == 401
    await _no_turn_ran(db, connector)
    # The genuine token is let in (a typing indicator: a turn that sends nothing).
    assert await _post(registered_bot, _activity(connector, type="typing"), genuine) == 202


async def test_a_key_not_endorsed_for_teams_is_401(db, connector, registered_bot) -> None:
    """A genuine key, but Microsoft endorsed it for another channel (botbuilder raises a bare
    Exception for it)."""
    connector.endorsements = ["webchat"]
    token = connector.token(app_id=APP_ID)
    assert await _post(registered_bot, _activity(connector), token) == 401
    await _no_turn_ran(db, connector)


async def test_json_nested_5000_deep_is_400(db, connector, registered_bot, client) -> None:
    deep = '{"type": "message", "value": ' + "[" * 5000 + "]" * 5000 + "}"
    token = connector.token(app_id=APP_ID)
    assert await _post(registered_bot, deep, token) == 400
    assert await _post(client, deep) == 400  # the local trial too
    await _no_turn_ran(db, connector)


async def test_a_null_body_is_400(db, connector, registered_bot, client) -> None:
    token = connector.token(app_id=APP_ID)
    for body in ("null", "[]", '"message"', "\xff\xfe"):
        assert await _post(registered_bot, body, token) == 400
        assert await _post(client, body) == 400
    await _no_turn_ran(db, connector)


async def test_expect_replies_in_the_local_trial_is_400(db, connector, client) -> None:
    assert await _post(client, _activity(connector, deliveryMode="expectReplies")) == 400
    await _no_turn_ran(db, connector)


async def test_an_invoke_nobody_handles_is_400_not_501(connector, registered_bot) -> None:
    """Found by the property below: an invoke with no name got botbuilder's 501."""
    token = connector.token(app_id=APP_ID)
    assert await _post(registered_bot, _activity(connector, type="invoke"), token) == 400


async def test_random_tokens_and_fields_never_answer_500(db, connector, registered_bot) -> None:
    good = connector.token(app_id=APP_ID)
    tokens = [
        good,
        connector.token(app_id="someone-else"),
        connector.token(app_id=APP_ID, without=("serviceurl",)),
        connector.token(app_id=APP_ID, serviceurl="https://elsewhere.example/"),
        connector.token(app_id=APP_ID, iss="https://sts.windows.net/not-microsoft/"),
        connector.token(app_id=APP_ID, exp=1),
        good[:-5],
        "a.b.c",
    ]
    bodies = [
        _activity(connector),
        _activity(connector, type=None),
        _activity(connector, **{"from": 5}),
        _activity(connector, conversation="x"),
        {"type": "message"},
    ]
    for token in tokens:
        for body in bodies:
            assert 400 <= await _post(registered_bot, body, token) < 500 or body == bodies[0]


async def test_signing_keys_are_fetched_without_stopping_the_server(db, clock, connector) -> None:
    """While Microsoft's key server is slow, the bot still answers others (here: /healthz),
    and the request waiting on the keys is judged once they come (here: a token for another
    bot, so 401 and no turn)."""
    app = _app_with_key_server(db, clock, connector, key_fetch_timeout=30)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        held = connector.hold_keys()
        waiting = asyncio.ensure_future(
            _post(client, _activity(connector), connector.token(app_id="another-bot"))
        )
        await held.wait_arrived()
        health = await client.get("/healthz")  # the event loop is free while keys are fetched
        assert health.status == 200
        assert not waiting.done()
        held.release()
        assert await waiting == 401
    await _no_turn_ran(db, connector)


async def test_a_key_server_that_never_answers_gets_503_after_the_time_limit(
    db, clock, connector, caplog
) -> None:
    """The key fetch has a time limit: a key server that never answers costs a 503 once the
    limit passes, never a request held open for good. (Whether the held request reached the
    key server before the limit is the machine's business, so the test does not wait for it:
    the flaky part of the test above, which waited for its arrival inside a 0.5 s limit.)"""
    caplog.set_level(logging.WARNING)
    app = _app_with_key_server(db, clock, connector, key_fetch_timeout=0.2)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        held = connector.hold_keys()
        try:
            status = await _post(client, _activity(connector), connector.token(app_id=APP_ID))
        finally:
            held.release()
        assert status == 503
    assert "could not fetch the signing keys" in caplog.text
    await _no_turn_ran(db, connector)


def _app_with_key_server(
    db: Database, clock: Any, connector: FakeBotConnector, *, key_fetch_timeout: float
) -> Any:
    """The web app with an app id, its signing keys fetched from the fake connector within
    `key_fetch_timeout` seconds."""
    settings = app_id_settings(db)
    app = build_app(Runtime(settings, db.engine, db.sessions, clock))
    channel = app[TEAMS]
    channel.adapter = TeamsAdapter(
        settings,
        channel,
        openid_metadata_url=connector.openid_url,
        key_fetch_timeout=key_fetch_timeout,
    )
    return app


ENVELOPE_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["message", "invoke", "conversationUpdate"]) | json_values,
        "channelId": st.just("msteams") | json_values,
        "deliveryMode": st.sampled_from(["normal", "expectReplies"]) | json_values,
        "from": json_values,
        "conversation": json_values,
        "channelData": json_values,
        "recipient": json_values,
        "serviceUrl": json_values,
        "entities": json_values,
        "value": json_values,
    },
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=json_values | ENVELOPE_FIELDS, keep=st.booleans())
async def test_any_json_gets_an_answer_below_500(
    body: Any, keep: bool, connector, registered_bot, client
) -> None:
    """Whatever JSON arrives, with a genuine token or none: a 4xx, or accepted (202, or an
    invoke's answer), never a 500."""
    if keep and isinstance(body, dict):  # a real activity's envelope, with odd fields over it
        body = {**_activity(connector), **body}
    token = connector.token(app_id=APP_ID)
    assert await _post(registered_bot, json.dumps(body), token) < 500
    assert await _post(client, json.dumps(body)) < 500
    await registered_bot.app[TEAMS].adapter.work.drain()
    await client.app[TEAMS].adapter.work.drain()


async def test_an_activity_only_its_turn_finds_malformed_is_logged_and_dropped(
    db, connector, client, caplog
) -> None:
    """The acknowledgement reads only the envelope (type, channel, serviceUrl, from,
    conversation, recipient); a field only the turn reads that is not what Teams sends gets a
    202, is logged and dropped by the turn without running it, and the next message is
    answered as usual."""
    odd = _activity(connector, timestamp="not a time", entities=5)
    assert await _post(client, odd) == 202
    await client.app[TEAMS].adapter.work.drain()
    assert "dropped a kept activity" in caplog.text
    await _no_turn_ran(db, connector)
    assert await _post(client, _activity(connector)) == 202
    await client.app[TEAMS].adapter.work.drain()
    assert [c.method for c in connector.sent][-1] == "POST"  # the next message's reply
