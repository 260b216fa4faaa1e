"""A local Slack Web API: the `SLACK_API_URL` the bot talks to in tests, recording every call.

It answers the methods the bot uses, in Slack's wire format (HTTP 200 with `{"ok": ...}`, or
HTTP 429 with a `Retry-After` header when rate limited):

- `auth.test` (bolt calls it on the first request), `users.info` (with `profile.email`),
  `conversations.open` (a DM channel `D<user id>`), `chat.postMessage`, `chat.postEphemeral`,
  `chat.update`, `views.publish`;
- `POST /response/<id>`: a slash command's or a click's `response_url` (use `response_url()`
  to make one);
- file uploads as `files_upload_v2` makes them: `files.getUploadURLExternal` (an upload URL
  on this server), `POST /upload/<file id>` (the bytes, kept in `uploads`), and
  `files.completeUploadExternal` (the file shared in `channel_id`).

Arguments may arrive as JSON, a form or a query string (the SDK uses all three); each call is
recorded with them merged into one dict, `blocks` decoded from JSON when sent as a string.

Several workspaces (OAuth): `add_workspace("T2", name=...)` makes one; `grant("T2")` is what
Slack's "Allow" page gives (a one-time code for our redirect URL); `oauth.v2.access` swaps the
code for a bot token of that workspace only. Every call is recorded with the workspace its
token belongs to (`Call.team`; any other token is the single workspace's, `TEAM_ID`), and
Slack's rules are kept: a DM is opened or posted to, a user's home tab published, only with a
token of the user's own workspace (when it is one added here); a channel added with `add_channel` is posted in only with a
token of a workspace whose bot is in it; a revoked token gets `token_revoked`.

    async with FakeSlackApi() as slack_api:
        slack_api.add_user("U1", email="tess@school.test")
        slack_api.rate_limit(2, retry_after=3, method="chat.postMessage")  # next 2 calls: 429
        slack_api.fail_next("chat.postMessage", "channel_not_found")
        slack_api.fail_http("chat.postMessage", 500)     # next call: HTTP 500, an HTML page
        held = slack_api.hold("chat.postMessage")        # next call: no answer until released
        await held.wait_arrived(); held.release()        # (or held.drop(): connection closed)
        settings = Settings(slack_api_url=slack_api.api_url, ...)
        ...
        slack_api.calls                      # every call, in order (refused ones too)
        slack_api.calls_to("chat.postMessage")  # the ones that got through, for one method

Reused by the scheduler's delivery tests: nothing here depends on the bot.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.fakes.hold import Hold

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T0001"


@dataclass
class Call:
    """One request the bot made: the method (or `response_url`), its arguments, the outcome."""

    method: str
    args: dict[str, Any]
    status: int = 200
    ok: bool = True
    authorization: str | None = None
    response: dict[str, Any] = field(default_factory=dict)
    # The workspace whose token the call was made with.
    team: str | None = None


@dataclass
class FakeWorkspace:
    """A workspace that can install the app, and the bot token it was given."""

    team_id: str
    name: str
    enterprise_id: str | None = None
    token: str | None = None
    revoked: bool = False

    @property
    def bot_user_id(self) -> str:
        return f"UBOT{self.team_id}"


@dataclass
class _RateLimit:
    remaining: int
    retry_after: int
    method: str | None


@dataclass
class FakeSlackApi:
    """The Slack Web API, faked by a local aiohttp server (see the module docstring)."""

    calls: list[Call] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    # File id -> the bytes uploaded for it.
    uploads: dict[str, bytes] = field(default_factory=dict)
    _limits: list[_RateLimit] = field(default_factory=list)
    _failures: dict[str, list[str]] = field(default_factory=dict)
    _http_failures: dict[str, list[int]] = field(default_factory=dict)
    _holds: dict[str, list[Hold]] = field(default_factory=dict)
    _every_hold: list[Hold] = field(default_factory=list)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _server: TestServer | None = None
    workspaces: dict[str, FakeWorkspace] = field(default_factory=dict)
    # Channel id -> the workspaces whose bot is in it (only channels added with add_channel).
    channels: dict[str, set[str]] = field(default_factory=dict)
    _codes: dict[str, str] = field(default_factory=dict)

    # --- setting it up -------------------------------------------------------------------

    def add_workspace(
        self, team_id: str, *, name: str = "", enterprise_id: str | None = None
    ) -> FakeWorkspace:
        """A Slack workspace that can add the app (`grant`)."""
        workspace = FakeWorkspace(team_id, name or team_id, enterprise_id)
        self.workspaces[team_id] = workspace
        return workspace

    def grant(self, team_id: str) -> str:
        """An admin of `team_id` clicks "Allow": the one-time code Slack sends back with them."""
        code = f"code-{team_id}-{next(self._ts)}"
        self._codes[code] = team_id
        return code

    def revoke(self, team_id: str) -> None:
        """The workspace removes the app: its token stops working."""
        self.workspaces[team_id].revoked = True

    def add_channel(self, channel_id: str, *, teams: list[str]) -> None:
        """A channel (a Slack Connect channel, with several) the bots of `teams` are in."""
        self.channels[channel_id] = set(teams)

    def team_of(self, authorization: str | None) -> str | None:
        """The workspace a token belongs to (None: revoked or none)."""
        token = (authorization or "").removeprefix("Bearer ").strip()
        for workspace in self.workspaces.values():
            if workspace.token == token:
                return None if workspace.revoked else workspace.team_id
        return TEAM_ID if token else None

    def calls_by(self, team_id: str) -> list[Call]:
        """The calls made with a token of this workspace."""
        return [c for c in self.calls if c.team == team_id]

    def add_user(
        self,
        user_id: str,
        *,
        email: str | None,
        name: str = "",
        bot: bool = False,
        team_id: str = TEAM_ID,
    ) -> None:
        """A workspace member `users.info` knows (email None: no email on the profile)."""
        profile: dict[str, Any] = {"real_name": name or user_id, "display_name": name}
        if email is not None:
            profile["email"] = email
        self.users[user_id] = {
            "id": user_id,
            "team_id": team_id,
            "name": name or user_id.lower(),
            "deleted": False,
            "is_bot": bot,
            "profile": profile,
        }

    def rate_limit(self, calls: int, *, retry_after: int = 1, method: str | None = None) -> None:
        """Answer the next `calls` calls (to `method`, or to any method) with HTTP 429."""
        self._limits.append(_RateLimit(calls, retry_after, method))

    def fail_next(self, method: str, error: str) -> None:
        """Answer the next call to `method` with `{"ok": false, "error": error}`."""
        self._failures.setdefault(method, []).append(error)

    def fail_http(self, method: str, status: int = 500, *, count: int = 1) -> None:
        """Answer the next `count` calls to `method` with HTTP `status` and an HTML error page
        (as Slack's edge does when Slack itself is down), not Slack's JSON."""
        self._http_failures.setdefault(method, []).extend([status] * count)

    def hold(self, method: str) -> Hold:
        """Leave the next call to `method` unanswered until the test releases (or drops) it.
        A released call is then answered as usual: Slack did the work, only late."""
        held = Hold()
        self._holds.setdefault(method, []).append(held)
        self._every_hold.append(held)
        return held

    def release_all(self) -> None:
        """Let every held call go (answered), e.g. at the end of a test."""
        for held in self._every_hold:
            held.release()

    @property
    def api_url(self) -> str:
        """What to set SLACK_API_URL to."""
        return f"{self.base_url}/api/"

    @property
    def base_url(self) -> str:
        assert self._server is not None, "use `async with FakeSlackApi()`"
        return str(self._server.make_url("")).rstrip("/")

    def response_url(self, name: str = "1") -> str:
        """A response_url for a slash command or a click, pointing here."""
        return f"{self.base_url}/response/{name}"

    # --- reading what happened -----------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        """Successful calls to one method, in order."""
        return [c for c in self.calls if c.method == method and c.ok]

    def methods(self) -> list[str]:
        """The methods called, in order (refused calls included)."""
        return [c.method for c in self.calls]

    def clear(self) -> None:
        self.calls.clear()

    # --- the server ----------------------------------------------------------------------

    async def __aenter__(self) -> FakeSlackApi:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release_all()
        if self._server is not None:
            await self._server.close()

    @staticmethod
    async def _arguments(request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        for key in ("blocks", "view", "attachments"):
            if isinstance(args.get(key), str):
                try:
                    args[key] = json.loads(args[key])
                except ValueError:
                    pass
        return args

    def _limited(self, method: str) -> _RateLimit | None:
        for limit in self._limits:
            if limit.remaining > 0 and limit.method in (None, method):
                limit.remaining -= 1
                return limit
        return None

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._arguments(request)
        auth = request.headers.get("Authorization")
        holds = self._holds.get(method)
        if holds:
            # Shielded: if the bot gives up waiting (its connection closes), Slack still does
            # the work once released, as the real one would.
            late = asyncio.ensure_future(self._held(holds.pop(0), request, method, args, auth))
            return await asyncio.shield(late)
        return self._reply(method, args, auth)

    async def _held(
        self, held: Hold, request: web.Request, method: str, args: dict[str, Any], auth: str | None
    ) -> web.Response:
        answer = await held.block()
        try:
            if not answer:  # the connection closes with no answer
                self.calls.append(Call(method, args, status=0, ok=False, authorization=auth))
                if request.transport is not None:
                    request.transport.close()
                return web.Response(status=500)
            return self._reply(method, args, auth)
        finally:
            held.done.set()

    def _reply(self, method: str, args: dict[str, Any], auth: str | None) -> web.Response:
        http_failures = self._http_failures.get(method)
        if http_failures:
            status = http_failures.pop(0)
            self.calls.append(Call(method, args, status=status, ok=False, authorization=auth))
            return web.Response(
                status=status,
                text="<html><body><h1>Server Error</h1></body></html>",
                content_type="text/html",
            )
        limit = self._limited(method)
        if limit is not None:
            self.calls.append(Call(method, args, status=429, ok=False, authorization=auth))
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(limit.retry_after)},
            )
        failures = self._failures.get(method)
        if failures:
            error = failures.pop(0)
            self.calls.append(Call(method, args, ok=False, authorization=auth))
            return web.json_response({"ok": False, "error": error})
        if method == "oauth.v2.access" and (auth or "").startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")  # type: ignore[index]
            args = {**args, "client_id": client_id, "client_secret": secret}
        team = self.team_of(auth)
        body = self._wrong_workspace(method, args, auth, team) or self._answer(method, args, team)
        self.calls.append(
            Call(
                method, args, ok=bool(body.get("ok")), authorization=auth, response=body, team=team
            )
        )
        return web.json_response(body)

    def _wrong_workspace(
        self, method: str, args: dict[str, Any], auth: str | None, team: str | None
    ) -> dict[str, Any] | None:
        """Slack's answer to a call made with the wrong workspace's token (None: it is right)."""
        if method == "oauth.v2.access":
            return None
        if team is None:
            return {"ok": False, "error": "token_revoked" if auth else "not_authed"}
        user = None
        if method == "conversations.open":
            user = str(args.get("users", "")).split(",")[0]
        elif method == "views.publish":
            user = str(args.get("user_id", ""))
        elif method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            channel = str(args.get("channel", ""))
            if channel in self.channels:
                if team not in self.channels[channel]:
                    return {"ok": False, "error": "not_in_channel"}
                return None
            user = channel[1:] if channel.startswith("D") else channel
        known = self.users.get(user or "")
        # (A member of a workspace that never installed the app, met in a Slack Connect
        # channel, can be written to by any: only installed workspaces' members are checked.)
        if known is not None and known["team_id"] in self.workspaces and known["team_id"] != team:
            return {"ok": False, "error": "channel_not_found"}
        return None

    def _answer(self, method: str, args: dict[str, Any], team: str | None) -> dict[str, Any]:
        ts = f"1700000000.{next(self._ts):06d}"
        match method:
            case "auth.test":
                installed = self.workspaces.get(team or "")
                if installed is not None:
                    return {
                        "ok": True,
                        "url": f"https://{installed.team_id.lower()}.slack.com/",
                        "team": installed.name,
                        "user": "apsafeguard",
                        "team_id": installed.team_id,
                        "user_id": installed.bot_user_id,
                        "bot_id": f"B{installed.team_id}",
                        "is_enterprise_install": False,
                    }
                return {
                    "ok": True,
                    "url": "https://ap-test.slack.com/",
                    "team": "AP Test",
                    "user": "apsafeguard",
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "bot_id": BOT_ID,
                    "is_enterprise_install": False,
                }
            case "oauth.v2.access":
                return self._exchange(args)
            case "users.info":
                user = self.users.get(str(args.get("user")))
                return (
                    {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
                )
            case "conversations.open":
                user = str(args.get("users", "")).split(",")[0]
                return {"ok": True, "channel": {"id": f"D{user}"}}
            case "chat.postMessage":
                channel = str(args.get("channel", ""))
                channel = f"D{channel}" if channel.startswith(("U", "W")) else channel
                message = {"type": "message", "text": args.get("text"), "ts": ts}
                if "blocks" in args:
                    message["blocks"] = args["blocks"]
                return {"ok": True, "channel": channel, "ts": ts, "message": message}
            case "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            case "chat.update":
                return {
                    "ok": True,
                    "channel": args.get("channel"),
                    "ts": args.get("ts"),
                    "text": args.get("text"),
                }
            case "files.getUploadURLExternal":
                file_id = f"F{next(self._ts):06d}"
                return {
                    "ok": True,
                    "upload_url": f"{self.base_url}/upload/{file_id}",
                    "file_id": file_id,
                }
            case "files.completeUploadExternal":
                files = args.get("files")
                files = json.loads(files) if isinstance(files, str) else files or []
                return {
                    "ok": True,
                    "files": [{"id": f["id"], "title": f.get("title")} for f in files],
                }
            case "views.publish":
                return {"ok": True, "view": {"id": "V0001", **(args.get("view") or {})}}
        return {"ok": False, "error": "unknown_method"}

    def _exchange(self, args: dict[str, Any]) -> dict[str, Any]:
        """`oauth.v2.access`: a granted code (once) for a new bot token of its workspace."""
        team_id = self._codes.pop(str(args.get("code", "")), None)
        if team_id is None:
            return {"ok": False, "error": "invalid_code"}
        if not args.get("client_id") or not args.get("client_secret"):
            return {"ok": False, "error": "invalid_client_id"}
        workspace = self.workspaces[team_id]
        workspace.token = f"xoxb-{team_id}-{next(self._ts)}"
        workspace.revoked = False
        enterprise = (
            {"id": workspace.enterprise_id, "name": "Grid"} if workspace.enterprise_id else None
        )
        return {
            "ok": True,
            "app_id": "A0001",
            "authed_user": {"id": f"UADMIN{team_id}"},
            "scope": "chat:write,commands,im:history,im:write,users:read,users:read.email",
            "token_type": "bot",
            "access_token": workspace.token,
            "bot_user_id": workspace.bot_user_id,
            "team": {"id": team_id, "name": workspace.name},
            "enterprise": enterprise,
            "is_enterprise_install": False,
        }

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        self.uploads[file_id] = await request.read()
        self.calls.append(
            Call("upload", {"file_id": file_id, "length": len(self.uploads[file_id])})
        )
        return web.Response(text="OK - " + str(len(self.uploads[file_id])))

    async def _response_url(self, request: web.Request) -> web.Response:
        args = await self._arguments(request)
        args["response_url"] = request.match_info["name"]
        self.calls.append(Call("response_url", args))
        return web.json_response({"ok": True})
