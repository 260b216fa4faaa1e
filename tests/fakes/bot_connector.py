"""A local Bot Framework connector: the `serviceUrl` the bot replies to, recording what it sends.

Teams (through the Bot Framework) tells the bot where to send its replies: the activity's
`serviceUrl`. Point that at this server and every reply, update and member lookup the bot makes
lands here, in the connector's real wire format (the Bot Framework v3 REST API):

- `POST /v3/conversations/{conversationId}/activities`: a new message (proactive, or a reply
  without a thread);
- `POST /v3/conversations/{conversationId}/activities/{replyToId}`: a reply to an activity;
- `PUT  /v3/conversations/{conversationId}/activities/{activityId}`: an update (a card replaced);
- `GET  /v3/conversations/{conversationId}/members/{userId}`: who a user is (email, UPN);
- `PUT  /upload/{name}`: stands in for the OneDrive upload URL a file consent gives (the bytes
  are kept in `uploads`; use `upload_url(name)` in a test's consent answer);
- `GET  /openid/.well-known/openidconfiguration` and `GET /openid/keys`: the Bot Framework's
  token-signing keys (`openid_url`), so a bot with an app id can check the tokens `token(...)`
  signs, as Microsoft's channel service signs them (RS256, a `kid`, endorsed for msteams).

Use it as an async context manager (it listens on 127.0.0.1 on a free port):

    async with FakeBotConnector() as connector:   # tenant_id="..." for another tenant
        connector.add_member("29:abc", email="tess@school.test", aad_object_id="...")
        connector.fail_next(2, status=429, retry_after=3)   # the next two calls get 429
        held = connector.hold()       # the next new message waits, unanswered, until
        await held.wait_arrived()     # held.release() (answered late) or held.drop()
        ... post activities whose serviceUrl is connector.url ...
        connector.sent          # every call recorded, in order (failed ones too)
        connector.delivered()   # the activities that got through (POSTs), as sent
        connector.cards()       # the Adaptive Cards among them

Reused by the scheduler's delivery tests: nothing here depends on the bot.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import jwt
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.fakes.hold import Hold

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
KEY_ID = "fake-bot-framework-key"


@functools.cache
def _signing_key() -> rsa.RSAPrivateKey:
    """One RSA key for the whole test run (making one takes a moment)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Call:
    """One request the bot made to the connector."""

    method: str
    path: str
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any] | None
    status: int
    authorization: str | None = None
    # The id the connector gave a new activity (what a later update or replyToId names).
    created_id: str | None = None


@dataclass
class _Failure:
    status: int
    retry_after: float | None


@dataclass
class FakeBotConnector:
    """The Bot Framework connector, faked by a local aiohttp server (see the module docstring)."""

    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: list[Call] = field(default_factory=list)
    # File name -> the bytes the bot uploaded there (a file consent's upload URL).
    uploads: dict[str, bytes] = field(default_factory=dict)
    _failures: list[_Failure] = field(default_factory=list)
    _holds: list[Hold] = field(default_factory=list)
    _every_hold: list[Hold] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _key_holds: list[Hold] = field(default_factory=list)
    _server: TestServer | None = None
    # Where it listens: loopback, or another of this machine's addresses (a "remote" connector).
    host: str = "127.0.0.1"
    # The channels its signing key is endorsed for (Microsoft's keys each list theirs).
    endorsements: list[str] = field(default_factory=lambda: ["msteams"])
    # The Microsoft 365 tenant whose users it serves: a second fake, with its own serviceUrl,
    # stands in for a second tenant (as Teams gives each conversation its region's serviceUrl).
    tenant_id: str = "tenant-1"

    # ----- set-up ---------------------------------------------------------------------------

    async def __aenter__(self) -> FakeBotConnector:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities", self._post)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._post)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._put)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        app.router.add_put("/upload/{name}", self._upload)
        app.router.add_get("/openid/.well-known/openidconfiguration", self._openid)
        app.router.add_get("/openid/keys", self._keys)
        self._server = TestServer(app, host=self.host)
        await self._server.start_server()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for held in self._every_hold + self._key_holds:
            held.release()
        if self._server is not None:
            await self._server.close()

    @property
    def url(self) -> str:
        """The serviceUrl to put in activities (ends with a slash, as Teams' do)."""
        assert self._server is not None, "use `async with FakeBotConnector()`"
        return str(self._server.make_url("/"))

    def add_member(
        self,
        user_id: str,
        *,
        email: str | None = None,
        upn: str | None = None,
        aad_object_id: str | None = None,
        name: str = "Someone",
        tenant_id: str | None = None,
    ) -> None:
        """Someone the member lookup knows (Teams returns their email, UPN and tenant; by
        default this connector's tenant)."""
        self.members[user_id] = {
            "id": user_id,
            "name": name,
            "aadObjectId": aad_object_id,
            "email": email,
            "userPrincipalName": upn or email,
            "tenantId": tenant_id or self.tenant_id,
        }

    @property
    def openid_url(self) -> str:
        """The OpenID metadata address of the fake's signing keys."""
        return f"{self.url}openid/.well-known/openidconfiguration"

    def token(
        self, *, app_id: str, kid: str = KEY_ID, without: tuple[str, ...] = (), **claims: Any
    ) -> str:
        """A Bot Framework token for `app_id`, signed with the fake's key (claims `without`
        left out, others overridden by `claims`)."""
        now = int(time.time())  # checked by the token library against the real clock
        payload = {
            "iss": BOT_FRAMEWORK_ISSUER,
            "aud": app_id,
            "serviceurl": self.url,
            "nbf": now - 60,
            "exp": now + 3600,
            **claims,
        }
        for claim in without:
            payload.pop(claim, None)
        return jwt.encode(payload, _signing_key(), algorithm="RS256", headers={"kid": kid})

    def hold_keys(self) -> Hold:
        """Leave the next request for the signing keys unanswered until released or dropped."""
        held = Hold()
        self._key_holds.append(held)
        return held

    def fail_next(self, count: int, *, status: int = 429, retry_after: float | None = None) -> None:
        """Answer the next `count` calls with `status` (and a Retry-After header, if given)."""
        self._failures.extend(_Failure(status, retry_after) for _ in range(count))

    def hold(self) -> Hold:
        """Leave the next new message (a POST of an activity) unanswered until the test
        releases it (then it is delivered, late) or drops it (the connection closes)."""
        held = Hold()
        self._holds.append(held)
        self._every_hold.append(held)
        return held

    # ----- what was sent ---------------------------------------------------------------------

    def delivered(self) -> list[dict[str, Any]]:
        """Every activity that got through (new messages and replies), in order."""
        return [
            c.body
            for c in self.sent
            if c.method == "POST" and 200 <= c.status < 300 and c.body is not None
        ]

    def updates(self) -> list[Call]:
        """Every successful update of an activity (PUT), in order."""
        return [c for c in self.sent if c.method == "PUT" and 200 <= c.status < 300]

    def cards(self) -> list[dict[str, Any]]:
        """The Adaptive Cards among the delivered activities, in order."""
        return [
            attachment["content"]
            for activity in self.delivered()
            for attachment in activity.get("attachments") or []
            if attachment.get("contentType") == ADAPTIVE_CARD
        ]

    def last_card(self) -> tuple[str, dict[str, Any]]:
        """The id and content of the most recent Adaptive Card delivered."""
        for call in reversed(self.sent):
            if call.method != "POST" or not 200 <= call.status < 300 or call.body is None:
                continue
            for attachment in call.body.get("attachments") or []:
                if attachment.get("contentType") == ADAPTIVE_CARD:
                    assert call.created_id is not None
                    return call.created_id, attachment["content"]
        raise AssertionError("no card was delivered")

    def texts(self) -> list[str]:
        """The plain text of the delivered activities, in order."""
        return [a["text"] for a in self.delivered() if a.get("text")]

    def clear(self) -> None:
        self.sent.clear()

    # ----- handlers --------------------------------------------------------------------------

    def _failure(self) -> web.Response | None:
        if not self._failures:
            return None
        failure = self._failures.pop(0)
        headers = {} if failure.retry_after is None else {"Retry-After": f"{failure.retry_after:g}"}
        return web.json_response(
            {"error": {"code": "Throttled", "message": "Try again later."}},
            status=failure.status,
            headers=headers,
        )

    async def _record(self, request: web.Request, status: int) -> Call:
        body = await request.json() if request.body_exists else None
        call = Call(
            method=request.method,
            path=request.path,
            conversation_id=request.match_info["conversation"],
            activity_id=request.match_info.get("activity"),
            body=body,
            status=status,
            authorization=request.headers.get("Authorization"),
        )
        self.sent.append(call)
        return call

    async def _post(self, request: web.Request) -> web.Response:
        if self._holds:
            # Shielded: if the bot gives up waiting (its connection closes), the connector
            # still delivers the message once released, as the real one would.
            late = asyncio.ensure_future(self._held(self._holds.pop(0), request))
            return await asyncio.shield(late)
        return await self._answer_post(request)

    async def _held(self, held: Hold, request: web.Request) -> web.Response:
        await request.read()  # read now: the connection may be gone when released
        answer = await held.block()
        try:
            if not answer:  # the connection closes with no answer
                await self._record(request, 0)
                if request.transport is not None:
                    request.transport.close()
                return web.Response(status=500)
            return await self._answer_post(request)
        finally:
            held.done.set()

    async def _answer_post(self, request: web.Request) -> web.Response:
        failure = self._failure()
        call = await self._record(request, failure.status if failure else 200)
        if failure:
            return failure
        call.created_id = f"activity-{next(self._ids)}"
        return web.json_response({"id": call.created_id})

    async def _put(self, request: web.Request) -> web.Response:
        failure = self._failure()
        call = await self._record(request, failure.status if failure else 200)
        if failure:
            return failure
        return web.json_response({"id": call.activity_id})

    def upload_url(self, name: str) -> str:
        """Where a test says OneDrive wants the file."""
        return f"{self.url.rstrip('/')}/upload/{name}"

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["name"]] = await request.read()
        return web.json_response({"name": request.match_info["name"]}, status=201)

    async def _openid(self, request: web.Request) -> web.Response:
        if self._key_holds:
            held = self._key_holds.pop(0)
            if not await held.block():
                if request.transport is not None:
                    request.transport.close()
                return web.Response(status=500)
        return web.json_response(
            {"issuer": BOT_FRAMEWORK_ISSUER, "jwks_uri": f"{self.url}openid/keys"}
        )

    async def _keys(self, request: web.Request) -> web.Response:
        key = RSAAlgorithm.to_jwk(_signing_key().public_key(), as_dict=True)
        key.update({"kid": KEY_ID, "use": "sig", "endorsements": self.endorsements})
        return web.json_response({"keys": [key]})

    async def _member(self, request: web.Request) -> web.Response:
        member = self.members.get(request.match_info["member"])
        self.sent.append(
            Call("GET", request.path, request.match_info["conversation"], None, None, 200)
        )
        if member is None:
            return web.json_response(
                {"error": {"code": "MemberNotFoundInConversation", "message": "No such member."}},
                status=404,
            )
        return web.json_response(member)
