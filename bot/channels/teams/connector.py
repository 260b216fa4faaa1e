"""Posting to the Bot Framework connector as plain JSON over one aiohttp session (botbuilder-free).

The connector's REST API (v3): a reply is `POST {serviceUrl}/v3/conversations/{conversationId}/
activities/{replyToId}`, a new message the same without the activity id, an update `PUT .../
activities/{activityId}`; the body is the activity's JSON, the answer `{"id": ...}`. botbuilder's
connector client did this through msrest (serialising the activity, then `requests` in a thread),
which was a quarter of a Teams turn's CPU; the adapter builds the same JSON (`adapter.py`) and
sends it here. Failures become `ConnectorError`s, so the adapter's one retry policy applies.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from bot.channels.teams.retry import ConnectorError, retry_after_seconds

# msrest's default for the connector client: 100 s to connect, 100 s between bytes read.
CONNECTOR_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=100.0, sock_read=100.0)
ACCEPTED = frozenset({200, 201, 202})


def activities_url(service_url: str, conversation_id: str, activity_id: str | None = None) -> URL:
    """Where an activity goes: the path's ids quoted as msrest quotes them (nothing left safe),
    and sent as written (`encoded`: aiohttp would otherwise unquote `:` and `;`)."""
    url = f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation_id, safe='')}/activities"
    if activity_id is not None:
        url += f"/{quote(activity_id, safe='')}"
    return URL(url, encoded=True)


class Connector:
    """One aiohttp session for every call to the connector, made on first use in the running
    event loop (and again in another loop); `close()` when the app stops."""

    def __init__(self, timeout: aiohttp.ClientTimeout = CONNECTOR_TIMEOUT) -> None:
        self._timeout = timeout
        self._http: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._http is None or self._http.closed or self._loop is not loop:
            self._http = aiohttp.ClientSession(timeout=self._timeout)
            self._loop = loop
        return self._http

    async def send(
        self, method: str, url: URL, body: dict[str, Any], headers: dict[str, str]
    ) -> str:
        """Send one activity; the id the connector gave it ("" when it gave none). Raises
        `ConnectorError` for an answer other than 200/201/202 (with its Retry-After), an
        answer that is not the connector's JSON, or no answer at all."""
        try:
            async with self._session().request(method, url, json=body, headers=headers) as answer:
                if answer.status not in ACCEPTED:
                    raise ConnectorError(
                        f"Bot Framework connector answered {answer.status}",
                        status=answer.status,
                        retry_after=retry_after_seconds(answer.headers.get("Retry-After")),
                    )
                if answer.status == 202:  # accepted: botbuilder reads no id from it
                    return ""
                raw = await answer.read()
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ConnectorError(f"Bot Framework connector unreachable: {error!r}") from error
        return _id_in(raw)

    async def close(self) -> None:
        if self._http is not None and not self._http.closed:
            await self._http.close()
        self._http = None


def _id_in(raw: bytes) -> str:
    """The `id` of the connector's answer (a ResourceResponse)."""
    if not raw.strip():
        return ""
    try:
        answer = json.loads(raw)
    except ValueError as error:
        raise ConnectorError(
            "Bot Framework connector answered something unreadable", status=None
        ) from error
    found = answer.get("id") if isinstance(answer, dict) else None
    return str(found) if found else ""
