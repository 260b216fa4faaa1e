"""The door in front of the Slack listeners: every HTTP request is proven to come from Slack,
for the workspace the bot is installed in, before bolt reads it.

- **Signature**, checked here rather than by bolt: bolt's own check logs the whole body of a
  request that fails it (a stranger could write lines into our log, fill it, or have a late but
  genuine message holding a disclosure written out in clear). Here a refusal logs only its
  reason, never a header value or the body. A timestamp that is not a number, or is more than
  five minutes from now, is refused with 401, as a wrong signature is.
- **Shape**: a body that is not UTF-8, is not JSON or a form where Slack sends one, is nested
  deeper than Slack ever nests, or is `null`, is refused with 400 (bolt would answer 500).
- **Workspace** (`check_workspace`, a bolt middleware, so Socket Mode has it too): the request's
  team and enterprise must be the installed workspace's (`SLACK_TEAM_ID` /
  `SLACK_ENTERPRISE_ID`, or what `auth.test` says the bot token belongs to). With many
  workspaces (OAuth), `installation_check` instead, before bolt's authorize: the request's
  installation (its team, or its Grid organisation) must be stored; who may use it is then
  decided by the workspace mapping (identity.py).
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.internals import parse_body
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

# Slack refuses to send, and we refuse to take, a request signed more than five minutes ago.
MAX_AGE_SECONDS = 5 * 60
# Slack's payloads are a few levels deep (Block Kit, rich text lists, inside a view inside a
# payload); anything far deeper is not from Slack.
MAX_DEPTH = 64
# Fields Slack always sends as objects; anything else is not a request from Slack.
OBJECT_FIELDS = ("event", "user", "team", "view", "container", "channel", "message", "enterprise")


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused (said in the log, and to the caller), and with which status."""

    status: int
    reason: str


NOT_SIGNED = Refusal(401, "the signature is missing or does not match")
NO_TIMESTAMP = Refusal(401, "the timestamp header is missing or not a number")
TOO_OLD = Refusal(401, "the request was signed more than five minutes ago (or in the future)")
NOT_UTF8 = Refusal(400, "the body is not UTF-8")
NOT_SLACK_SHAPED = Refusal(400, "the body is not shaped like a request from Slack")
OTHER_WORKSPACE = Refusal(403, "the request is from a workspace this bot is not installed in")
NOT_INSTALLED = Refusal(403, "the request is from a workspace with no installation of the app")


def check_signature(
    secret: str, headers: Mapping[str, str], raw: bytes, *, now: float | None = None
) -> Refusal | None:
    """None when Slack signed this body with our signing secret in the last five minutes.

    Slack signs `v0:{timestamp}:{body}` with HMAC-SHA256. The time is the wall clock's, not the
    bot's injected clock: it is compared with Slack's, which is real time.
    """
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return NO_TIMESTAMP
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_AGE_SECONDS:
        return TOO_OLD
    base = b"v0:" + timestamp.encode() + b":" + raw
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return NOT_SIGNED
    return None


# A tuple built once: `dict | list` in `isinstance` builds a union at every call.
_CONTAINERS = (dict, list)


def _depth_within(value: object, limit: int) -> bool:
    """Whether a parsed JSON value nests no deeper than `limit` (without recursion)."""
    # Only objects and arrays are stacked (a click's many strings were most of the walk): a
    # container at the limit may hold nothing, as anything in it would be deeper.
    if not isinstance(value, _CONTAINERS):
        return limit >= 1
    stack: list[tuple[dict[str, object] | list[object], int]] = [(value, 1)]
    push, pop = stack.append, stack.pop
    while stack:
        item, depth = pop()
        inner = item.values() if isinstance(item, dict) else item
        if depth >= limit:
            if depth > limit or inner:
                return False
            continue
        deeper = depth + 1
        for child in inner:
            if isinstance(child, _CONTAINERS):
                push((child, deeper))
    return True


def _parse_json(text: str) -> object:
    """JSON, or ValueError; nesting deep enough to exhaust the parser's recursion is refused
    too (RecursionError), before anything else walks it."""
    try:
        return json.loads(text)
    except RecursionError as error:
        raise ValueError("nested too deep") from error


@dataclass(frozen=True)
class Shaped:
    """A request's body that has Slack's shape: its text, and the JSON object parsed from it
    (the body itself, or a form's `payload` field; None for a plain form: a slash command),
    and a form's fields as `parse_qs` reads them (None for JSON)."""

    text: str
    parsed: dict[str, Any] | None
    form: dict[str, list[str]] | None = None


# A percent sign not followed by two hex digits (urllib leaves it as it is).
_LONE_PERCENT = re.compile("%(?![0-9A-Fa-f]{2})")


def _unquote(text: str) -> str:
    """`urllib.parse.unquote(text)`, done in C where that gives the same text: an ASCII text
    whose every `%` starts an escape and which has no `=` is quoted-printable once each `%` is
    an `=` (`binascii.a2b_qp` decodes `=XX` and copies everything else). urllib's pure-Python
    loop over the escapes was a sixth of a click's acknowledgement: a click's payload is JSON
    with most of its punctuation escaped."""
    if "%" not in text:
        return text
    if text.isascii() and "=" not in text and _LONE_PERCENT.search(text) is None:
        return binascii.a2b_qp(text.replace("%", "=")).decode("utf-8", "replace")
    return unquote(text)


def form_fields(body: str) -> dict[str, list[str]]:
    """`urllib.parse.parse_qs(body, keep_blank_values=True)`, with `_unquote`."""
    fields: dict[str, list[str]] = {}
    for pair in body.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        name = _unquote(name.replace("+", " "))
        fields.setdefault(name, []).append(_unquote(value.replace("+", " ")))
    return fields


def check_shape(raw: bytes, content_type: str) -> tuple[Shaped, Refusal | None]:
    """The body, and a refusal unless it has the shape Slack's requests have (bolt assumes
    that shape, and would answer 500 to anything else)."""
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Shaped("", None), NOT_UTF8
    try:
        if "json" in content_type:
            data = _parse_json(body)
        else:
            fields = form_fields(body)
            if "payload" not in fields:
                return Shaped(body, None, fields), None  # a slash command: plain form fields
            # The last `payload`, as bolt reads a form (`dict(parse_qsl(...))`).
            data = _parse_json(fields["payload"][-1])
    except ValueError:
        return Shaped(body, None), NOT_SLACK_SHAPED
    if not isinstance(data, dict) or not _depth_within(data, MAX_DEPTH):
        return Shaped(body, None), NOT_SLACK_SHAPED
    actions = data.get("actions", [{}])
    if not (isinstance(actions, list) and actions and all(isinstance(a, dict) for a in actions)):
        return Shaped(body, None), NOT_SLACK_SHAPED
    if not all(isinstance(data[key], dict) for key in OBJECT_FIELDS if key in data):
        return Shaped(body, None), NOT_SLACK_SHAPED
    return Shaped(body, data), None


def bolt_body(shaped: Shaped, content_type: str | None) -> dict[str, Any]:
    """The body as bolt gives it to a listener (`slack_bolt`'s `parse_body`, with the content
    type as bolt reads it), without parsing again what `check_shape` parsed the same way (a
    form's URL-decoding was a third of a click's acknowledgement)."""
    kind = content_type.split(";")[0] if content_type else None
    text = shaped.text
    bolt_reads_json = kind == "application/json" or text.startswith("{")
    if shaped.form is not None and text and not bolt_reads_json and "payload" not in text:
        # both: a plain form, `dict(parse_qsl(...))` (each field's last value, in the order
        # the fields first appear)
        return {name: values[-1] for name, values in shaped.form.items()}
    if shaped.parsed is not None and text:
        if content_type is not None and "json" in content_type and bolt_reads_json:
            return shaped.parsed  # both: json.loads of the whole body
        if (
            (content_type is None or "json" not in content_type)
            and not bolt_reads_json
            and "payload" in text
        ):
            return shaped.parsed  # both: the last `payload` field's JSON
    return cast(dict[str, Any], parse_body(text, kind))


def refused(refusal: Refusal) -> None:
    """Say in the log that a request was refused: the reason only (nothing the caller sent)."""
    log.warning("slack: refused a request (%s): %s", refusal.status, refusal.reason)


@dataclass(frozen=True)
class Workspace:
    """The Slack workspace (and Enterprise Grid organisation, if any) the bot is installed in."""

    team_id: str
    enterprise_id: str | None


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is, as `auth.test` says of its token: its workspace, and its user and bot ids
    (an event it caused itself is not a person's)."""

    team_id: str
    enterprise_id: str | None
    user_id: str | None
    bot_id: str | None


WorkspaceLookup = Callable[[], Awaitable[Workspace | None]]


def workspace_refusal(
    ours: Workspace | None, team_id: str | None, enterprise_id: str | None
) -> BoltResponse | None:
    """The answer to a request whose team (or enterprise) is not the installed workspace's,
    whatever its signature (with a distributed app, every workspace that installs it sends
    requests signed with the same secret); None when it is ours."""
    if ours is None:  # auth.test failed: nobody can be told apart, so nobody gets in
        refused(OTHER_WORKSPACE)
        return BoltResponse(status=503, body={"error": "Slack workspace unknown"})
    if team_id != ours.team_id or enterprise_id != ours.enterprise_id:
        refused(OTHER_WORKSPACE)
        return BoltResponse(status=OTHER_WORKSPACE.status, body={"error": "Not installed"})
    return None


def workspace_check(
    installed: WorkspaceLookup,
) -> Callable[..., Awaitable[BoltResponse]]:
    """A bolt middleware refusing a request from any workspace but the installed one
    (`workspace_refusal`): bolt's path, and Socket Mode."""

    async def check_workspace(
        context: AsyncBoltContext, response: BoltResponse, next: Callable[[], Awaitable[None]]
    ) -> BoltResponse:
        refusal = workspace_refusal(await installed(), context.team_id, context.enterprise_id)
        if refusal is not None:
            return refusal
        await next()
        return response

    return check_workspace


InstalledLookup = Callable[[str | None, str | None, bool], Awaitable[bool]]
# Requests Slack sends before anything is installed, answered by bolt without a token.
NO_WORKSPACE_NEEDED = ("url_verification",)


def installation_check(installed: InstalledLookup) -> Callable[..., Awaitable[BoltResponse]]:
    """A bolt `before_authorize` middleware for many workspaces: a request whose team (or Grid
    organisation) has no installation stored is refused with 403 before anything else reads
    it, and logged without its content (a signature proves only that it came from Slack, from
    any workspace that ever added the app)."""

    async def check_installed(
        body: dict[str, Any],
        context: AsyncBoltContext,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        if body.get("type") in NO_WORKSPACE_NEEDED or body.get("ssl_check") == "1":
            return await next()
        grid_install = bool(context.is_enterprise_install)
        if not await installed(context.team_id, context.enterprise_id, grid_install):
            refused(NOT_INSTALLED)
            return BoltResponse(status=NOT_INSTALLED.status, body={"error": "Not installed"})
        return await next()

    return check_installed
