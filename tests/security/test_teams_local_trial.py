"""Issue 13, finding 1: Teams without an app id was open to anyone who could reach it through a
proxy, and the activity's serviceUrl then decided who the caller was and where replies (and a
pupil's whole record) went.

Now, without an app id, Teams is served only as a local trial on a loopback HOST, answers only
a TCP peer on this machine with no proxy header, and replies only to this machine; with an app
id only Teams' own channel is let in."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.channels.teams.deliverer import TeamsDeliverer
from bot.channels.teams.routes import TEAMS, teams_status
from bot.runtime import Runtime
from bot.scheduler import OutboxWorker
from bot.server import build_app
from bot.settings import Settings
from storage.models import AuditEntry, ConversationRef, DialogState, Person
from storage.services.outbox import enqueue
from tests.fakes.bot_connector import FakeBotConnector
from tests.support.database import Database
from tests.support.factories import World, build_world
from tests.support.load_balancer import require_haproxy, running_haproxy
from tests.support.scheduler import clock_sleep
from tests.support.teams import Chat, TeamsUser
from tests.support.teams_apps import APP_ID, local_trial, this_machines_other_address


async def _nothing_happened(db: Database, world: World) -> None:
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DialogState)) == 0
        assert await session.scalar(select(func.count()).select_from(ConversationRef)) == 0
        dsl = await session.get(Person, world.dsl.id)
        assert dsl is not None and dsl.teams_aad_object_id is None
        links = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.record_type == "Person")
        )
        assert links == len([p for p in world.__dict__.values() if isinstance(p, Person)])


def _mallory(client: TestClient[Any, Any], connector: FakeBotConnector, world: World) -> TeamsUser:
    """Someone whose member lookup says they are the DSL (the connector is theirs)."""
    connector.add_member("29:mallory", email=world.dsl.email, aad_object_id="aad-mallory")
    return TeamsUser(client, connector, "29:mallory", "aad-mallory")


async def test_a_request_passed_on_by_a_proxy_is_refused(db, clock, connector) -> None:
    world = await build_world(db, clock)
    async with await local_trial(db, clock) as client:
        mallory = _mallory(client, connector, world)
        activity = mallory.activity(Chat.personal("mallory"), text="help")
        for header in ("X-Forwarded-For", "Forwarded", "X-Forwarded-Host"):
            status = await mallory.post(activity, {header: "for=203.0.113.9"})
            assert status == 403
    assert connector.sent == []
    await _nothing_happened(db, world)


async def test_a_request_through_the_load_balancer_is_refused(
    db, clock, connector, tmp_path
) -> None:
    """The production load balancer (HAProxy with deploy/haproxy/haproxy.cfg) on this machine
    passes requests on: the instance sees a loopback peer, and must still refuse them."""
    require_haproxy()
    world = await build_world(db, clock)
    async with await local_trial(db, clock) as bot:
        mallory = _mallory(bot, connector, world)
        async with (
            running_haproxy([("web1", f"127.0.0.1:{bot.port}")], folder=tmp_path) as front,
            aiohttp.ClientSession() as http,
            http.post(
                front.url + "/api/messages",
                json=mallory.activity(Chat.personal("m"), text="help"),
            ) as response,
        ):
            assert response.status == 403
        await bot.app[TEAMS].adapter.work.drain()
    assert connector.sent == []
    await _nothing_happened(db, world)


async def test_a_caller_on_another_machine_is_refused(db, clock, connector) -> None:
    """The server listens on a LAN address (as an old README's balancer example did): a caller
    reaching it there is not on this machine."""
    lan = this_machines_other_address()
    if lan is None:
        pytest.skip("this machine has no address but loopback")
    world = await build_world(db, clock)
    async with await local_trial(db, clock, host=lan) as client:
        mallory = _mallory(client, connector, world)
        assert await mallory.post(mallory.activity(Chat.personal("m"), text="help")) == 403
    assert connector.sent == []
    await _nothing_happened(db, world)


async def test_replies_go_only_to_this_machine(db, clock) -> None:
    """A serviceUrl elsewhere (the attacker's own connector) is refused outright: no member
    lookup there decides who the caller is, no reply or file goes there."""
    lan = this_machines_other_address()
    world = await build_world(db, clock)
    async with (
        FakeBotConnector(host=lan or "127.0.0.1") as theirs,
        await local_trial(db, clock) as client,
    ):
        mallory = _mallory(client, theirs, world)
        activity = mallory.activity(Chat.personal("mallory"), text="export")
        if lan is None:
            activity["serviceUrl"] = "http://attacker.invalid/"
        assert await mallory.post(activity) == 403
        assert theirs.sent == []
    await _nothing_happened(db, world)


async def test_teams_is_off_unless_configured_or_a_local_trial(db, clock, connector) -> None:
    """A Slack-only server could not switch Teams off: now it is off unless asked for."""
    world = await build_world(db, clock)
    runtime = Runtime(
        Settings(_env_file=None, database_url=db.url, host="127.0.0.1"),  # type: ignore[call-arg]
        db.engine,
        db.sessions,
        clock,
    )
    async with TestClient(TestServer(build_app(runtime), host="127.0.0.1")) as client:
        mallory = _mallory(client, connector, world)
        response = await client.post(
            "/api/messages", json=mallory.activity(Chat.personal("m"), text="help")
        )
        assert response.status == 404
    assert connector.sent == []
    await _nothing_happened(db, world)


async def test_a_public_server_without_an_app_id_starts_without_teams_and_says_so(
    db, clock, caplog
) -> None:
    caplog.set_level(logging.INFO)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=db.url,
        host="0.0.0.0",
        teams_local_trial=True,
        slack_bot_token="xoxb-test",  # type: ignore[arg-type]
        slack_signing_secret="secret",  # type: ignore[arg-type]
    )
    app = build_app(Runtime(settings, db.engine, db.sessions, clock))  # starts: no SystemExit
    assert TEAMS not in app
    assert "/api/messages" not in {r.resource.canonical for r in app.router.routes() if r.resource}
    assert teams_status(app).startswith("off: HOST is 0.0.0.0")
    assert "Teams: off: HOST is 0.0.0.0" in caplog.text


async def test_with_an_app_id_only_teams_own_channel_is_let_in(
    db, clock, connector, registered_bot
) -> None:
    """A token the Bot Framework signed for another channel (Web Chat, Direct Line) is not Teams:
    its activities can say anything about who sent them."""
    world = await build_world(db, clock)
    mallory = _mallory(registered_bot, connector, world)
    for channel in ("webchat", "directline", "emulator"):
        activity = mallory.activity(Chat.personal("m"), text="help", channelId=channel)
        token = connector.token(app_id=APP_ID)
        status = await mallory.post(activity, {"Authorization": f"Bearer {token}"})
        assert status == 403
    assert connector.sent == []
    await _nothing_happened(db, world)


async def test_a_file_goes_only_to_this_machine(db, clock, client, connector) -> None:
    """A file consent whose upload address is elsewhere: the report is not sent there."""
    lan = this_machines_other_address()
    if lan is None:
        pytest.skip("this machine has no address but loopback")
    world = await build_world(db, clock)
    connector.add_member("29:dee", upn=world.dsl.email, aad_object_id="aad-dee")
    dee = TeamsUser(client, connector, "29:dee", "aad-dee")
    said = await dee.say("report governors this term", Chat.personal("dee"))
    [pdf] = [
        a
        for activity in said
        for a in activity.get("attachments") or []
        if str(a.get("name", "")).endswith(".pdf")
    ]
    async with FakeBotConnector(host=lan) as theirs:
        consent = dee.activity(
            Chat.personal("dee"),
            type="invoke",
            name="fileConsent/invoke",
            value={
                "type": "fileUpload",
                "action": "accept",
                "context": pdf["content"]["acceptContext"],
                "uploadInfo": {"name": pdf["name"], "uploadUrl": theirs.upload_url(pdf["name"])},
            },
        )
        assert await dee.post(consent) == 200
        assert theirs.uploads == {}
    assert "couldn't save the file" in connector.texts()[-1]


async def test_a_stored_conversation_elsewhere_is_not_messaged(
    db, clock, client, connector
) -> None:
    """A conversation reference kept from before (its serviceUrl someone else's): the
    scheduler's alerts are not sent there."""
    lan = this_machines_other_address()
    if lan is None:
        pytest.skip("this machine has no address but loopback")
    world = await build_world(db, clock)
    connector.add_member("29:dee", upn=world.dsl.email, aad_object_id="aad-dee")
    await TeamsUser(client, connector, "29:dee", "aad-dee").say("help", Chat.personal("dee"))
    async with FakeBotConnector(host=lan) as theirs:
        async with db.sessions() as session, session.begin():
            ref = await session.scalar(select(ConversationRef))
            assert ref is not None
            ref.reference = {**ref.reference, "serviceUrl": theirs.url}
            await enqueue(
                session,
                key="alert:1",
                kind="absence_alert",
                text="Absence: Jamie Testpupil (AP-TEST) is not at Pathways today.",
                due_at=clock.now(),
                recipient_id=world.dsl.id,
            )
        teams = client.app[TEAMS]
        deliverer = TeamsDeliverer(teams.adapter, teams.sessions)
        await OutboxWorker(db.sessions, clock, [deliverer], sleep=clock_sleep(clock)).deliver_due()
        assert theirs.sent == []


def test_remembered_answers_about_addresses_are_not_swayed_by_many_strangers() -> None:
    """The loopback checks remember their answers (issue 17's lean acknowledgement): a caller
    sending more addresses than are remembered, look-alikes of this machine's among them,
    changes no answer, for them or for this machine's own."""
    from bot.channels.teams import gate

    this_machine = ["http://127.0.0.1:3978/", "https://localhost/api", "http://[::1]:9/"]
    look_alikes = [
        "http://127.0.0.1.evil.example/",
        "http://localhost.evil.example/",
        "http://evil.example/?127.0.0.1",
        "ftp://127.0.0.1/",
        "http://10.0.0.1/",
    ]
    for n in range(2 * gate.ANSWERS_REMEMBERED):
        stranger = f"http://10.{n // 256}.{n % 256}.7:3978/"
        assert not gate.is_loopback_url(stranger)
        assert not gate.is_loopback(stranger.split("/")[2].split(":")[0])
        for url in this_machine:
            assert gate.is_loopback_url(url)
        for url in look_alikes:
            assert not gate.is_loopback_url(url)
    assert not gate.is_loopback_url({"url": "http://127.0.0.1/"})  # not text: refused, as ever
    assert gate.local_caller_refusal(("10.1.2.3", 5), []) == "caller is not on this machine"
    assert gate.local_caller_refusal(("127.0.0.1", 5), ["X-Forwarded-For"]) is not None
