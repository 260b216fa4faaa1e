"""The only module that imports botbuilder: the Bot Framework `CloudAdapter` behind two small,
platform-shaped doors, so the SDK can be swapped (for microsoft-agents-hosting-aiohttp) here alone.

- `TeamsAdapter.process(request)`: an incoming POST /api/messages, token checked when an app
  id is set (401 otherwise; only Teams' own channel), or, in the local trial (no app id),
  only from this machine (`gate.py`); handed to a `TurnHandler` as a `TeamsTurn` (activity
  JSON in, activity JSON out). Nothing a caller sends gets a 500.
- `TeamsAdapter.send_proactive(reference, activities)`: messages sent through a stored
  conversation reference.

Every outgoing call is retried on 429/412/502/504 (`retry.py`); botbuilder's own HTTP retries
are switched off so that there is one policy, and it honours Retry-After.

Microsoft's token-signing keys are fetched by `_SigningKeys` (aiohttp, with a timeout, one
fetch at a time) instead of botbuilder's blocking `requests.get` with no timeout, which would
stop every other conversation while it waited.

Connector clients are made once per service URL and kept (`_ConnectorClients`), not made
afresh for every turn, and msrest's retry-list building is made cheap (`safe_codes` below).
Replies and updates skip the connector client: their JSON is built here as botbuilder would
have sent it (`_reply_body`, `_update_body`) and posted by `connector.py`, with the client's
credentials' token (none in the local trial); member lookups still go through botbuilder.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import aiohttp
from aiohttp import web
from botbuilder.core import Bot, InvokeResponse, TurnContext, serializer_helper
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
)
from botframework.connector import Channels
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AppCredentials,
    AuthenticateRequestResult,
    AuthenticationConstants,
    ClaimsIdentity,
    ConnectorFactory,
    JwtTokenExtractor,
    UserTokenClient,
)
from jwt import InvalidTokenError, PyJWTError, get_unverified_header  # botbuilder's token library
from jwt.algorithms import RSAAlgorithm
from msrest.exceptions import ClientRequestError, DeserializationError, HttpOperationError
from msrest.serialization import Model
from msrest.universal_http.requests import ClientRetryPolicy
from requests import Session

from bot.channels.teams.connector import Connector, activities_url
from bot.channels.teams.gate import (
    TEAMS_CHANNEL,
    activity_tenant,
    is_loopback_url,
    local_caller_refusal,
)
from bot.channels.teams.retry import (
    ConnectorError,
    RetryPolicy,
    Sleep,
    retry_after_seconds,
    with_retries,
)
from bot.channels.work import Work
from bot.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
ACTIVITY = "activity"  # the kind of turn kept in the inbound queue
WireActivity = dict[str, Any]


class TeamsTurn(Protocol):
    """One incoming activity, and how to answer it, without the SDK's types."""

    activity: WireActivity

    async def send(self, activities: list[WireActivity]) -> list[str]:
        """Send replies (in a channel: into the thread); their ids."""
        ...

    async def update(self, activity_id: str, activity: WireActivity) -> None:
        """Replace an activity the bot sent earlier (e.g. an answered card)."""
        ...

    async def member(self, user_id: str) -> dict[str, Any] | None:
        """Who a user is (email, userPrincipalName, aadObjectId), or None if Teams won't say."""
        ...

    async def respond(self, status: int) -> None:
        """Answer an invoke activity (a file consent, say) with this HTTP status."""
        ...


class Keeper(Protocol):
    async def accept(self, kind: str, payload: dict[str, Any], *, sender: str | None) -> None:
        """Keep a checked activity before it is acknowledged (`bot.channels.inbound`)."""
        ...


class TurnHandler(Protocol):
    async def on_activity(self, turn: TeamsTurn) -> None:
        """Handle one incoming activity."""
        ...


@dataclass
class _Configuration:
    """The attribute names botbuilder's configuration classes read."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str | None


# ----- Microsoft's signing keys ---------------------------------------------------------------

KEY_FETCH_TIMEOUT = 10.0  # seconds for both requests; botbuilder's own fetch has none
KEYS_MAX_AGE = 24 * 3600.0  # fetched again once a day, as botbuilder does
UNKNOWN_KEY_REFETCH = 3600.0  # an unknown key id fetches them again at most once an hour
RETRY_AFTER_FAILURE = 30.0  # a failed fetch is not tried again for this long


class SigningKeysUnavailable(Exception):
    """Microsoft's signing keys could not be fetched (in time): no token can be checked now."""


@dataclass(frozen=True)
class _SigningKey:
    """What botbuilder's token extractor reads from a key (as its `_OpenIdConfig`)."""

    public_key: Any
    endorsements: list[str]


@dataclass
class _SigningKeys:
    """Stands in for botbuilder's `_OpenIdMetadata` (same `get`), for one metadata address."""

    url: str
    timeout: float = KEY_FETCH_TIMEOUT
    keys: list[dict[str, Any]] = field(default_factory=list)
    fetched_at: float | None = None
    tried_at: float | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def _older_than(self, seconds: float) -> bool:
        return self.fetched_at is None or time.monotonic() - self.fetched_at > seconds

    async def get(self, key_id: str | None) -> _SigningKey:
        """The key that signed a token; an unknown key id is an invalid token."""
        if self._older_than(KEYS_MAX_AGE):
            await self._refresh(KEYS_MAX_AGE)
        key = self._find(key_id)
        if key is None and self._older_than(UNKNOWN_KEY_REFETCH):
            await self._refresh(UNKNOWN_KEY_REFETCH)
            key = self._find(key_id)
        if key is None:
            raise InvalidTokenError("the token names no known signing key")
        return key

    async def _refresh(self, max_age: float) -> None:
        async with self.lock:  # one fetch at a time; the others use its keys
            if not self._older_than(max_age):
                return
            now = time.monotonic()
            if self.tried_at is not None and now - self.tried_at < RETRY_AFTER_FAILURE:
                if self.keys:
                    return
                raise SigningKeysUnavailable("signing keys unavailable (fetch failed just now)")
            self.tried_at = now
            try:
                timeout = aiohttp.ClientTimeout(total=self.timeout)
                async with aiohttp.ClientSession(timeout=timeout) as http:
                    async with http.get(self.url) as answer:
                        answer.raise_for_status()
                        metadata = await answer.json(content_type=None)
                    async with http.get(str(metadata["jwks_uri"])) as answer:
                        answer.raise_for_status()
                        keys = (await answer.json(content_type=None))["keys"]
            except (aiohttp.ClientError, TimeoutError, KeyError, TypeError, ValueError) as error:
                log.warning("Teams: could not fetch the signing keys: %s", type(error).__name__)
                if self.keys:
                    return  # keep using yesterday's keys rather than refuse everyone
                raise SigningKeysUnavailable("signing keys unavailable") from error
            self.keys = [key for key in keys if isinstance(key, dict)]
            self.fetched_at = time.monotonic()

    def _find(self, key_id: str | None) -> _SigningKey | None:
        for key in self.keys:
            if key_id and key.get("kid") == key_id:
                try:
                    public_key = RSAAlgorithm.from_jwk(json.dumps(key))
                except (PyJWTError, ValueError, TypeError, KeyError):
                    return None
                return _SigningKey(public_key, list(key.get("endorsements") or []))
        return None


class _KeysByAddress(dict[str, Any]):
    """botbuilder's class-wide cache of signing keys by metadata address, handing out ours."""

    def get(self, url: str, default: Any = None) -> Any:
        if url not in self:
            self[url] = _SigningKeys(url)
        return super().get(url)


JwtTokenExtractor.metadataCache = _KeysByAddress()

# msrest 0.7.1 (`universal_http/requests.py`) builds every client's retry list as
# `[i for i in range(999) if i not in self.safe_codes]`, with `safe_codes` a class-wide list of
# 500 codes: half a million comparisons each time a connector client is made (botbuilder made
# two per turn: 27 % of a Teams turn's CPU). The same codes as a frozenset give the same list.
# (Our own policy replaces that retry list anyway: `_no_builtin_retries`.)
ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]


class _ConnectorClients(ConnectorFactory):
    """botbuilder's connector factory, but one client per service URL and audience, kept for
    the adapter's life: botbuilder makes a new one (with its own HTTP session, so a new
    connection) for every turn."""

    def __init__(self, made: dict[tuple[Any, ...], ConnectorClient]) -> None:
        self._made = made
        self._factory: ConnectorFactory | None = None

    def around(self, factory: ConnectorFactory) -> _ConnectorClients:
        wrapped = _ConnectorClients(self._made)
        wrapped._factory = factory
        return wrapped

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        assert self._factory is not None
        # The factory is made for the bot's app id (the claims'): one bot, but keyed to be sure.
        key = (getattr(self._factory, "_app_id", None), service_url, audience)
        client = self._made.get(key)
        if client is None:
            client = await self._factory.create(service_url, audience)
            self._made[key] = client
        return client


def _user_token_client_once(
    create: Callable[[ClaimsIdentity], Awaitable[UserTokenClient]],
) -> Callable[[ClaimsIdentity], Awaitable[UserTokenClient]]:
    """botbuilder's `create_user_token_client`, one client per app id (made for every turn
    otherwise, though only sign-in prompts use it, and this bot has none)."""
    made: dict[str | None, UserTokenClient] = {}

    async def once(claims: ClaimsIdentity) -> UserTokenClient:
        app_id = claims.get_claim_value(
            AuthenticationConstants.AUDIENCE_CLAIM
        ) or claims.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)
        if app_id not in made:
            made[app_id] = await create(claims)
        return made[app_id]

    return once


def _translate(error: Exception) -> ConnectorError:
    if isinstance(error, HttpOperationError):
        response = error.response
        status = getattr(response, "status_code", None)
        headers = getattr(response, "headers", None) or {}
        return ConnectorError(
            f"Bot Framework connector answered {status}",
            status=status,
            retry_after=retry_after_seconds(headers.get("Retry-After")),
        )
    return ConnectorError(f"Bot Framework connector unreachable: {error}", status=None)


def _no_builtin_retries(context: TurnContext) -> None:
    """Let our retry policy be the only one (msrest would otherwise retry 5xx on its own,
    without reading Retry-After)."""
    client = context.turn_state.get(context.adapter.BOT_CONNECTOR_CLIENT_KEY)
    if client is not None:
        policy = client.config.retry_policy
        policy.retries = 0
        policy.policy.status_forcelist = set()
        policy.policy.raise_on_status = False


def _signed_as_the_bot_framework_signs(request: web.Request) -> bool:
    """A bearer token signed with RS256, the only algorithm the Bot Framework uses. Anything
    else (no token, `alg: none`) is refused before botbuilder fetches signing keys for it."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    try:
        return get_unverified_header(token).get("alg") == "RS256"
    except PyJWTError:
        return False


# The Activity fields msrest writes as they are (text, objects, flags), and an attachment's:
# an activity of only these (all the bot sends) is put on the wire without msrest.
_PLAIN_TYPES = {"str": str, "bool": bool, "object": object}
PLAIN_FIELDS = {
    spec["key"]: _PLAIN_TYPES[spec["type"]]
    for spec in Activity._attribute_map.values()
    if spec["type"] in _PLAIN_TYPES
}


def _fields_of(model: type[Model]) -> dict[str, type]:
    """A schema model's JSON keys and their Python types, when all are plain (text, flags,
    objects): what msrest writes back as it read it."""
    return {spec["key"]: _PLAIN_TYPES[spec["type"]] for spec in model._attribute_map.values()}


ATTACHMENT_FIELDS = _fields_of(Attachment)
NOT_A_REPLY = frozenset({Channels.direct_line, Channels.webchat})


def _plain(wire: dict[str, Any], fields: dict[str, type], *, none: bool = True) -> bool:
    """Every field known and of its type (None too, if `none`)."""
    return all(
        key in fields
        and ((none and value is None) or (value is not None and isinstance(value, fields[key])))
        for key, value in wire.items()
    )


def _as_msrest_writes(wire: WireActivity) -> WireActivity:
    """An activity's own fields as msrest would write them after reading them (unknown fields
    dropped, None left out): as they are for plain ones, through msrest for anything else."""
    attachments = wire.get("attachments")
    if _plain({k: v for k, v in wire.items() if k != "attachments"}, PLAIN_FIELDS) and (
        attachments is None
        or (
            isinstance(attachments, list)
            and all(isinstance(a, dict) and _plain(a, ATTACHMENT_FIELDS) for a in attachments)
        )
    ):
        body = {k: v for k, v in wire.items() if v is not None and k != "attachments"}
        if attachments is not None:
            body["attachments"] = [
                {k: v for k, v in a.items() if v is not None} for a in attachments
            ]
        return body
    written: WireActivity = Activity().deserialize(wire).serialize()
    return written


def _addressed(body: WireActivity, inbound: WireActivity) -> WireActivity:
    """botbuilder's `apply_conversation_reference` for an outgoing activity: sent where the
    inbound one came from, by the bot to its sender, in reply to it (but not to a
    conversationUpdate, nor in Direct Line or Web Chat)."""
    for key in ("channelId", "locale", "serviceUrl", "conversation"):
        body[key] = inbound.get(key)
    body["from"], body["recipient"] = inbound.get("recipient"), inbound.get("from")
    replying = (
        inbound.get("type") != ActivityTypes.conversation_update
        and inbound.get("channelId") not in NOT_A_REPLY
    )
    if replying and inbound.get("id"):
        body["replyToId"] = inbound["id"]
    return {k: v for k, v in body.items() if v is not None}


def _reply_body(inbound: WireActivity, wire: WireActivity) -> WireActivity:
    """The JSON botbuilder's `TurnContext.send_activity` posted for `wire` in reply to
    `inbound` (an activity as msrest wrote it): addressed, a message unless it says otherwise,
    accepting input, no id of its own."""
    body = _as_msrest_writes(wire)
    body.pop("id", None)
    body = _addressed(body, inbound)
    body["type"] = body.get("type") or ActivityTypes.message
    body["inputHint"] = body.get("inputHint") or "acceptingInput"
    return body


def _update_body(inbound: WireActivity, wire: WireActivity, activity_id: str) -> WireActivity:
    """The JSON botbuilder's `TurnContext.update_activity` put for `wire` (addressed as a
    reply, with the id of the activity it replaces)."""
    return _addressed(_as_msrest_writes({**wire, "id": activity_id}), inbound)


async def authorization(credentials: Any) -> str | None:
    """The Authorization header botbuilder's credentials give: none without an app id (the
    local trial). The token is asked for in a worker thread: msal answers from its cache at
    once, but when the token has expired (hourly) it asks Microsoft's login service over HTTP,
    synchronously, which in the event loop would stop every other turn and acknowledgement
    until it answered (msrest asked in the event loop)."""
    if isinstance(credentials, AppCredentials):
        app_id = credentials.microsoft_app_id
        if not app_id or app_id == AuthenticationConstants.ANONYMOUS_SKILL_APP_ID:
            return None
        return f"Bearer {await asyncio.to_thread(credentials.get_access_token)}"
    signed = await asyncio.to_thread(credentials.signed_session, Session())
    header = signed.headers.get("Authorization")
    return str(header) if header else None


class _Turn:
    def __init__(self, context: TurnContext, owner: TeamsAdapter) -> None:
        self._context = context
        self._owner = owner
        self.activity: WireActivity = context.activity.serialize()

    async def _headers(self) -> dict[str, str]:
        client = self._context.turn_state.get(self._context.adapter.BOT_CONNECTOR_CLIENT_KEY)
        if client is None:  # botbuilder makes one for every turn; not worth retrying without
            raise RuntimeError("Unable to extract ConnectorClient from turn context.")
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": client.config.user_agent,
        }
        header = await authorization(client.config.credentials)
        if header:
            headers["Authorization"] = header
        return headers

    async def send(self, activities: list[WireActivity]) -> list[str]:
        return [await self._post(_reply_body(self.activity, wire)) for wire in activities]

    async def _post(self, body: WireActivity) -> str:
        """Post a reply (or, with no replyToId, a new message); the id the connector gave it."""
        conversation = str(body["conversation"]["id"])
        url = activities_url(body["serviceUrl"], conversation, body.get("replyToId"))

        async def post() -> str:
            headers = {**(await self._headers()), "x-ms-conversation-id": conversation}
            return await self._owner.connector.send("POST", url, body, headers)

        return await self._owner.call(post)

    async def update(self, activity_id: str, activity: WireActivity) -> None:
        body = _update_body(self.activity, activity, activity_id)
        url = activities_url(body["serviceUrl"], str(body["conversation"]["id"]), activity_id)

        async def put() -> str:
            return await self._owner.connector.send("PUT", url, body, await self._headers())

        await self._owner.call(put)

    async def respond(self, status: int) -> None:
        await self._context.send_activity(
            Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=status))
        )

    async def member(self, user_id: str) -> dict[str, Any] | None:
        try:
            account = await self._owner.call(lambda: TeamsInfo.get_member(self._context, user_id))
        except ConnectorError as error:
            log.warning("Teams member lookup failed (%s)", error.status)
            return None
        result: dict[str, Any] = account.serialize()
        return result


class _Bot(Bot):
    def __init__(self, owner: TeamsAdapter) -> None:
        self._owner = owner

    async def on_turn(self, context: TurnContext) -> None:
        _no_builtin_retries(context)
        await self._owner.handler.on_activity(_Turn(context, self._owner))


class TeamsAdapter:
    """botbuilder's CloudAdapter, configured from our settings (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        handler: TurnHandler,
        *,
        sleep: Sleep | None = None,
        policy: RetryPolicy | None = None,
        openid_metadata_url: str | None = None,
        key_fetch_timeout: float = KEY_FETCH_TIMEOUT,
    ) -> None:
        """`openid_metadata_url`: where to fetch the token-signing keys instead of Microsoft's
        addresses, for every adapter of this process (the tests' fake connector), with
        `key_fetch_timeout`."""
        self.app_id = settings.microsoft_app_id or ""
        # No app id: nobody's token can be checked, so only this machine is answered.
        self.local_trial = not self.app_id
        password = settings.microsoft_app_password
        configuration = _Configuration(
            APP_ID=self.app_id,
            APP_PASSWORD=password.get_secret_value() if password else "",
            # SingleTenant, UserAssignedMSI (botbuilder 4.17.1's managed-identity credentials:
            # tokens from Azure where the bot runs, no password) or MultiTenant; botbuilder's
            # "authentication disabled" (the local trial) needs the multi-tenant factory.
            APP_TYPE=settings.microsoft_app_type.strip() if self.app_id else "MultiTenant",
            APP_TENANTID=settings.microsoft_app_tenant_id,
        )
        if openid_metadata_url:  # Microsoft's metadata addresses, served from there instead
            for microsoft in (
                AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
                AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
            ):
                JwtTokenExtractor.metadataCache[microsoft] = _SigningKeys(
                    openid_metadata_url, timeout=key_fetch_timeout
                )
        authentication = ConfigurationBotFrameworkAuthentication(configuration)
        authentication.create_user_token_client = _user_token_client_once(
            authentication.create_user_token_client
        )
        self._adapter = CloudAdapter(authentication)
        self._connectors = _ConnectorClients({})
        self._bot = _Bot(self)
        self.handler = handler
        self.work = Work(label="teams")
        # Where a checked activity is kept before the 202 (its turn then runs from there,
        # through `replay`); None: the turn runs from memory in `work`.
        self.inbound: Keeper | None = None
        self.sleep = sleep
        self.policy = policy or RetryPolicy()
        self.connector = Connector()  # replies and updates, over one HTTP session

    async def close(self) -> None:
        """Close the connector's HTTP session (when the app stops)."""
        await self.connector.close()

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        """One outgoing connector call, with retries, SDK errors as `ConnectorError`."""

        async def once() -> T:
            try:
                return await operation()
            except (HttpOperationError, ClientRequestError) as error:
                raise _translate(error) from error
            except DeserializationError as error:  # an answer that isn't the connector's JSON
                raise ConnectorError(
                    "Bot Framework connector answered something unreadable", status=None
                ) from error

        if self.sleep is None:
            return await with_retries(once, policy=self.policy)
        return await with_retries(once, policy=self.policy, sleep=self.sleep)

    async def process(self, request: web.Request) -> web.StreamResponse:
        """POST /api/messages. Refused with a 4xx, before any turn runs: no valid token (401,
        with an app id) or not from this machine (403, local trial); anything that is not a
        Teams activity (400, 403, 415). 503 when Microsoft's signing keys can't be fetched.

        A message (or any activity that needs no answer in the HTTP response) is kept in the
        inbound queue (`inbound`, with the claims its token proved) and acknowledged with 202;
        the turn runs afterwards (`replay`), one conversation's turns in order, and its replies
        go to the connector as usual. Invokes
        (a file consent, say) carry their answer in the HTTP response, so they are answered
        after the turn."""
        if "application/json" not in request.headers.get("Content-Type", ""):
            return _refuse(415, "Expected a JSON activity.")
        if self.local_trial:
            peer = request.transport.get_extra_info("peername") if request.transport else None
            refusal = local_caller_refusal(peer, request.headers.keys())
            if refusal is not None:
                log.warning("Teams local trial: request refused (%s)", refusal)
                return _refuse(403, "Teams without an app id answers this machine only.")
        elif not _signed_as_the_bot_framework_signs(request):
            return _refuse(401, "Unauthorized.")
        wire = await _read_activity(request)
        if wire is None:
            return _refuse(400, "Not a Bot Framework activity.")
        if self.local_trial and not is_loopback_url(wire.get("serviceUrl")):
            log.warning("Teams local trial: request refused (serviceUrl not on this machine)")
            return _refuse(403, "Teams without an app id replies to this machine only.")
        if not self.local_trial and wire.get("channelId") != TEAMS_CHANNEL:
            return _refuse(403, "Only Microsoft Teams activities are accepted.")
        if wire.get("deliveryMode") == "expectReplies":  # Teams never asks for replies inline
            return _refuse(400, "deliveryMode expectReplies is not supported.")
        activity = _envelope(wire)
        if activity is None:
            return _refuse(400, "Not a Bot Framework activity.")
        # A kept activity is read in full by its turn (`replay`); one answered now (an invoke,
        # or nothing kept), or from the Emulator (whose skill check reads more), is read here.
        kept_later = self.inbound is not None and activity.type != ActivityTypes.invoke
        if not kept_later or activity.channel_id == EMULATOR_CHANNEL:
            try:
                activity = Activity().deserialize(wire)
            except (ValueError, TypeError, AttributeError, RecursionError, DeserializationError):
                return _refuse(400, "Not a Bot Framework activity.")
        try:
            checked = await self._adapter.bot_framework_authentication.authenticate_request(
                activity, request.headers.get("Authorization", "")
            )
        except SigningKeysUnavailable:
            return _refuse(503, "Tokens can't be checked just now; try again later.")
        except Exception as error:  # botbuilder says "not valid" with bare Exceptions too
            log.info("Teams: token refused (%s)", type(error).__name__)
            return _refuse(401, "Unauthorized.")
        if kept_later:
            assert self.inbound is not None  # (kept_later says so)
            kept = {
                "activity": wire,
                "claims": checked.claims_identity.claims,
                "authenticated": checked.claims_identity.is_authenticated,
                "authentication_type": checked.claims_identity.authentication_type,
                "audience": checked.audience,
                "caller_id": checked.caller_id,
            }
            await self.inbound.accept(ACTIVITY, kept, sender=_sender_key(wire))
            return web.Response(status=202)
        if checked.connector_factory is not None:
            checked.connector_factory = self._connectors.around(checked.connector_factory)
        turn = self._adapter.process_activity(checked, activity, self._bot.on_turn)
        if activity.type == ActivityTypes.invoke:
            answer = await turn
            if answer is None:
                return web.Response(status=201)
            if answer.status == 501:  # botbuilder's answer to an invoke nobody handles
                return _refuse(400, "This bot does not handle that invoke.")
            return web.json_response(data=serializer_helper(answer.body), status=answer.status)
        self.work.spawn(_quietly(turn), name="teams turn", key=_sender_key(wire))
        return web.Response(status=202)

    async def replay(self, kept: dict[str, Any]) -> None:
        """Run the turn of an activity checked and kept by `process` (in this process or in
        another, before or after a restart): the token was checked then, and what it proved
        (its claims) was kept with the activity. The activity is read in full here (the
        acknowledgement read only its envelope): one that is not a Bot Framework activity
        after all is logged and dropped."""
        try:
            activity = Activity().deserialize(kept["activity"])
        except (ValueError, TypeError, AttributeError, RecursionError, DeserializationError):
            log.warning("Teams: dropped a kept activity that is not a Bot Framework activity")
            return
        identity = ClaimsIdentity(
            kept["claims"], kept["authenticated"], kept.get("authentication_type")
        )
        checked = AuthenticateRequestResult()
        checked.claims_identity = identity
        checked.audience = kept.get("audience")
        checked.caller_id = kept.get("caller_id")
        authentication = self._adapter.bot_framework_authentication
        checked.connector_factory = self._connectors.around(
            authentication.create_connector_factory(identity)
        )
        await self._adapter.process_activity(checked, activity, self._bot.on_turn)

    def may_send_to(self, url: str | None) -> bool:
        """Whether the bot may send to this address (a serviceUrl, an upload URL): any that
        Microsoft gave with an app id; only this machine's in the local trial."""
        return not self.local_trial or is_loopback_url(url)

    async def send_proactive(
        self, reference: dict[str, Any], activities: list[WireActivity]
    ) -> list[str]:
        """Send messages into a stored conversation (a person's chat, a channel); their ids.
        Each goes to the conversation's own serviceUrl and names its own tenant (a deployment
        serves many schools' tenants). Raises `ConnectorError` when the connector refuses
        after the retries."""
        if not self.may_send_to(reference.get("serviceUrl")):
            raise ConnectorError(
                "Teams local trial: a stored conversation is not on this machine", status=403
            )
        tenant = reference_tenant(reference)
        continuation = ConversationReference().deserialize(reference)
        if tenant and continuation.conversation is not None:
            continuation.conversation.tenant_id = tenant
        ids: list[str] = []

        async def deliver(context: TurnContext) -> None:
            _no_builtin_retries(context)
            context.activity.id = None  # a new message, not a reply to the made-up continuation
            sent = [_in_tenant(activity, tenant) for activity in activities]
            ids.extend(await _Turn(context, self).send(sent))

        await self._adapter.continue_conversation(continuation, deliver, bot_app_id=self.app_id)
        return ids


async def _quietly(turn: Awaitable[Any]) -> None:
    await turn


def _refuse(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _read_activity(request: web.Request) -> dict[str, Any] | None:
    """The request's JSON object, or None for anything else (not JSON, not an object, nested
    too deep to parse)."""
    try:
        body = await request.read()
        wire = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        return None
    return wire if isinstance(wire, dict) else None


# The fields the acknowledgement reads, and the objects among them (a Bot Framework activity's
# envelope; the rest is read by the turn).
ENVELOPE_TEXT = ("type", "channelId", "serviceUrl")
ENVELOPE_OBJECTS = ("from", "conversation", "recipient")
EMULATOR_CHANNEL = "emulator"


def _envelope(wire: dict[str, Any]) -> Activity | None:
    """What checking the token needs of an activity (its type, channel and serviceUrl),
    without reading the whole activity (msrest's `deserialize` was a third of the
    acknowledgement's CPU); None when the envelope is not an activity's: no type, or a field
    of the wrong kind."""
    if not all(isinstance(wire.get(key), str | None) for key in ENVELOPE_TEXT):
        return None
    if not all(isinstance(wire.get(key), dict | None) for key in ENVELOPE_OBJECTS):
        return None
    if not wire.get("type"):
        return None
    return Activity(
        type=wire["type"], channel_id=wire.get("channelId"), service_url=wire.get("serviceUrl")
    )


def _sender_key(wire: dict[str, Any]) -> str:
    """One person in one conversation: their turns run in the order they were sent."""
    conversation = wire.get("conversation")
    sender = wire.get("from")
    conversation_id = conversation.get("id") if isinstance(conversation, dict) else ""
    person = sender.get("id") if isinstance(sender, dict) else ""
    return f"teams:{conversation_id}:{person}"


def conversation_reference(activity: WireActivity) -> dict[str, Any]:
    """The reference to keep for messaging this conversation later (serviceUrl and tenant
    included), pointing at the conversation itself rather than at this one message."""
    result = _reference_as_msrest_writes(activity)
    if result is None:  # an activity msrest did not write itself: read as botbuilder reads it
        reference = TurnContext.get_conversation_reference(Activity().deserialize(activity))
        reference.activity_id = None
        result = reference.serialize()
    # botbuilder 4.17.1 reads a conversation's tenant as `tenantID`, and Teams writes
    # `tenantId`: it would be lost, so it is kept here as Teams writes it.
    tenant = activity_tenant(activity)
    if tenant and isinstance(result.get("conversation"), dict):
        result["conversation"]["tenantId"] = tenant
    return result


ACCOUNT_FIELDS = {
    "from": _fields_of(ChannelAccount),
    "recipient": _fields_of(ChannelAccount),
    "conversation": _fields_of(ConversationAccount),
}
REFERENCE_TEXT = ("channelId", "locale", "serviceUrl")


def _reference_as_msrest_writes(activity: WireActivity) -> dict[str, Any] | None:
    """botbuilder's conversation reference of an activity (`get_conversation_reference`,
    without the activity id), as msrest writes it, read from an activity as msrest wrote it
    (a turn's `activity`: every account of known fields, of their types, none of them None)
    without msrest; None for any other activity."""
    result: dict[str, Any] = {}
    for key, fields in ACCOUNT_FIELDS.items():
        account = activity.get(key)
        if account is None:
            continue
        if not isinstance(account, dict) or not _plain(account, fields, none=False):
            return None
        result[key] = dict(account)
    for key in REFERENCE_TEXT:
        value = activity.get(key)
        if value is not None:
            if not isinstance(value, str):
                return None
            result[key] = value
    if "from" in result:
        result["user"] = result.pop("from")
    if "recipient" in result:
        result["bot"] = result.pop("recipient")
    return result


def reference_tenant(reference: dict[str, Any]) -> str | None:
    """The Microsoft 365 tenant of a stored conversation reference (None for one stored
    before tenants were kept; it is refreshed at the conversation's next message)."""
    conversation = reference.get("conversation")
    if not isinstance(conversation, dict):
        return None
    tenant = conversation.get("tenantId") or conversation.get("tenantID")
    return str(tenant) if tenant else None


def _in_tenant(activity: WireActivity, tenant: str | None) -> WireActivity:
    """A proactive activity naming its conversation's tenant, as Teams asks
    (`channelData.tenant.id`)."""
    if not tenant:
        return activity
    data = dict(activity.get("channelData") or {})
    data.setdefault("tenant", {"id": tenant})
    return {**activity, "channelData": data}
