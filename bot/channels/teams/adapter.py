"""The only module that imports botbuilder: the Bot Framework `CloudAdapter` behind two small,
platform-shaped doors, so the SDK can be swapped (for microsoft-agents-hosting-aiohttp) here alone.

- `TeamsAdapter.process(request)`: an incoming POST /api/messages, token checked when an app
  id is set (401 otherwise), handed to a `TurnHandler` as a `TeamsTurn` (activity JSON in,
  activity JSON out).
- `TeamsAdapter.send_proactive(reference, activities)`: messages sent through a stored
  conversation reference.

Every outgoing call is retried on 429/412/502/504 (`retry.py`); botbuilder's own HTTP retries
are switched off so that there is one policy, and it honours Retry-After.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from aiohttp import web
from botbuilder.core import Bot, InvokeResponse, TurnContext, serializer_helper
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ActivityTypes, ConversationReference
from jwt import PyJWTError, get_unverified_header  # botbuilder's token library
from msrest.exceptions import ClientRequestError, DeserializationError, HttpOperationError

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


class _Turn:
    def __init__(self, context: TurnContext, call: Callable[..., Awaitable[Any]]) -> None:
        self._context = context
        self._call = call
        self.activity: WireActivity = context.activity.serialize()

    async def send(self, activities: list[WireActivity]) -> list[str]:
        ids: list[str] = []
        for wire in activities:
            activity = Activity().deserialize(wire)
            response = await self._call(lambda a=activity: self._context.send_activity(a))
            ids.append(response.id if response and response.id else "")
        return ids

    async def update(self, activity_id: str, activity: WireActivity) -> None:
        replacement = Activity().deserialize({**activity, "id": activity_id})
        await self._call(lambda: self._context.update_activity(replacement))

    async def respond(self, status: int) -> None:
        await self._context.send_activity(
            Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=status))
        )

    async def member(self, user_id: str) -> dict[str, Any] | None:
        try:
            account = await self._call(lambda: TeamsInfo.get_member(self._context, user_id))
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
        await self._owner.handler.on_activity(_Turn(context, self._owner.call))


class TeamsAdapter:
    """botbuilder's CloudAdapter, configured from our settings (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        handler: TurnHandler,
        *,
        sleep: Sleep | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.app_id = settings.microsoft_app_id or ""
        password = settings.microsoft_app_password
        configuration = _Configuration(
            APP_ID=self.app_id,
            APP_PASSWORD=password.get_secret_value() if password else "",
            APP_TYPE=settings.microsoft_app_type,
            APP_TENANTID=settings.microsoft_app_tenant_id,
        )
        self._adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(configuration))
        self._bot = _Bot(self)
        self.handler = handler
        self.work = Work(label="teams")
        self.sleep = sleep
        self.policy = policy or RetryPolicy()

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        """One outgoing connector call, with retries, SDK errors as `ConnectorError`."""

        async def once() -> T:
            try:
                return await operation()
            except (HttpOperationError, ClientRequestError) as error:
                raise _translate(error) from error

        if self.sleep is None:
            return await with_retries(once, policy=self.policy)
        return await with_retries(once, policy=self.policy, sleep=self.sleep)

    async def process(self, request: web.Request) -> web.StreamResponse:
        """POST /api/messages: 401 without a valid token (when an app id is set), 400 for
        anything that is not an activity.

        A message (or any activity that needs no answer in the HTTP response) is acknowledged
        with 202 as soon as its token is checked; the turn runs afterwards in `work`, one
        conversation's turns in order, and its replies go to the connector as usual. Invokes
        (a file consent, say) and `expectReplies` activities carry their answer in the HTTP
        response, so they are answered after the turn."""
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.json_response({"error": "Expected a JSON activity."}, status=415)
        if self.app_id and not _signed_as_the_bot_framework_signs(request):
            return web.json_response({"error": "Unauthorized."}, status=401)
        try:
            activity = Activity().deserialize(await request.json())
        except (ValueError, DeserializationError):  # not an activity the Bot Framework sends
            return web.json_response({"error": "Not a Bot Framework activity."}, status=400)
        if not activity.type:
            return web.json_response({"error": "Not a Bot Framework activity."}, status=400)
        try:
            checked = await self._adapter.bot_framework_authentication.authenticate_request(
                activity, request.headers.get("Authorization", "")
            )
        except (web.HTTPUnauthorized, PermissionError, PyJWTError):
            return web.json_response({"error": "Unauthorized."}, status=401)
        turn = self._adapter.process_activity(checked, activity, self._bot.on_turn)
        if activity.type == ActivityTypes.invoke or activity.delivery_mode == "expectReplies":
            answer = await turn
            if answer is None:
                return web.Response(status=201)
            return web.json_response(data=serializer_helper(answer.body), status=answer.status)
        self.work.spawn(_quietly(turn), name="teams turn", key=_conversation_key(activity))
        return web.Response(status=202)

    async def send_proactive(
        self, reference: dict[str, Any], activities: list[WireActivity]
    ) -> list[str]:
        """Send messages into a stored conversation (a person's chat, a channel); their ids.
        Raises `ConnectorError` when the connector refuses after the retries."""
        ids: list[str] = []

        async def deliver(context: TurnContext) -> None:
            _no_builtin_retries(context)
            context.activity.id = None  # a new message, not a reply to the made-up continuation
            ids.extend(await _Turn(context, self.call).send(activities))

        await self._adapter.continue_conversation(
            ConversationReference().deserialize(reference), deliver, bot_app_id=self.app_id
        )
        return ids


async def _quietly(turn: Awaitable[Any]) -> None:
    await turn


def _conversation_key(activity: Activity) -> str:
    """One person in one conversation: their turns run in the order they were sent."""
    conversation = activity.conversation.id if activity.conversation else ""
    person = activity.from_property.id if activity.from_property else ""
    return f"teams:{conversation}:{person}"


def conversation_reference(activity: WireActivity) -> dict[str, Any]:
    """The reference to keep for messaging this conversation later (serviceUrl included),
    pointing at the conversation itself rather than at this one message."""
    reference = TurnContext.get_conversation_reference(Activity().deserialize(activity))
    reference.activity_id = None
    result: dict[str, Any] = reference.serialize()
    return result
