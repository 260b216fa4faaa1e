"""Talking to the bot as Teams does: real Activity JSON posted to /api/messages, replies read
back from the fake connector (the activities' serviceUrl).

The fixtures `connector` (the fake Bot Framework connector), `waits` and `client` (the bot's web
app with Teams as a local trial) are here too; a conftest.py that wants them imports them.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.teams.routes import TEAMS
from bot.runtime import Runtime
from bot.server import build_app
from bot.settings import Settings
from storage.clock import FixedClock
from storage.models import Organisation
from storage.services import workspaces
from tests.fakes.bot_connector import FakeBotConnector
from tests.support.database import Database

BOT = {"id": "28:ap-safeguard-bot", "name": "AP Safeguard"}
TENANT = {"id": "tenant-1"}
# Microsoft 365 tenants as an LA's deployment meets them: each school and provider its own
# (tenant ids are GUIDs; `apbot tenants link` maps them to organisations).
SCHOOL_TENANT = "a1a1a1a1-0000-4000-8000-000000000001"
OTHER_SCHOOL_TENANT = "b2b2b2b2-0000-4000-8000-000000000002"
PROVIDER_TENANT = "c3c3c3c3-0000-4000-8000-000000000003"
UNMAPPED_TENANT = "d4d4d4d4-0000-4000-8000-000000000004"
LA_TENANT = "e5e5e5e5-0000-4000-8000-000000000005"  # the bot's own (MicrosoftAppTenantId)
_ids = itertools.count(1)


@dataclass
class Chat:
    """Where a message is posted: a personal chat, a group chat or a team channel."""

    conversation: dict[str, Any]
    channel_data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def personal(cls, user_id: str) -> Chat:
        return cls({"id": f"a:personal-{user_id}", "conversationType": "personal"}, {})

    @classmethod
    def team_channel(cls, channel_id: str, team_id: str, thread: str | None = None) -> Chat:
        conversation_id = f"{channel_id};messageid={thread}" if thread else channel_id
        return cls(
            {"id": conversation_id, "conversationType": "channel", "isGroup": True},
            {"team": {"id": team_id}, "channel": {"id": channel_id}},
        )

    @classmethod
    def group(cls, chat_id: str) -> Chat:
        return cls({"id": chat_id, "conversationType": "groupChat", "isGroup": True}, {})


@dataclass
class TeamsUser:
    """One Teams user posting activities through the bot's endpoint, from the connector's
    tenant (or `tenant`), with the connector's serviceUrl."""

    client: TestClient[Any, Any]
    connector: FakeBotConnector
    user_id: str
    aad_object_id: str | None
    name: str = "Teams User"
    tenant: str | None = None

    def activity(self, chat: Chat, **fields: Any) -> dict[str, Any]:
        tenant = {"id": self.tenant or self.connector.tenant_id}
        return {
            "type": "message",
            "id": f"incoming-{next(_ids)}-{uuid.uuid4().hex[:6]}",
            "timestamp": "2026-11-27T10:00:00.000Z",
            "serviceUrl": self.connector.url,
            "channelId": "msteams",
            "from": {"id": self.user_id, "name": self.name, "aadObjectId": self.aad_object_id},
            "recipient": BOT,
            "conversation": {**chat.conversation, "tenantId": tenant["id"]},
            "channelData": {**chat.channel_data, "tenant": tenant},
            "locale": "en-GB",
            **fields,
        }

    async def post(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> int:
        """Post one activity; once answered, wait for the turn the bot runs after its 202."""
        response = await self.client.post("/api/messages", json=activity, headers=headers)
        await self.client.app[TEAMS].adapter.work.drain()
        return response.status

    async def say(self, text: str, chat: Chat, *, mention: bool = False) -> list[dict[str, Any]]:
        """Type a message; the activities the bot sent back."""
        before = len(self.connector.delivered())
        fields: dict[str, Any] = {"text": text}
        if mention:
            tag = f"<at>{BOT['name']}</at>"
            fields = {
                "text": f"{tag} {text}",
                "entities": [{"type": "mention", "text": tag, "mentioned": BOT}],
            }
        status = await self.post(self.activity(chat, **fields))
        assert status in (200, 201, 202), status
        return self.connector.delivered()[before:]

    async def submit(
        self, chat: Chat, data: dict[str, Any], *, card_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Press a card's button (by default on the latest card): Teams posts the button's data,
        with the inputs, as the value, in reply to the card."""
        card_id = card_id or self.connector.last_card()[0]
        before = len(self.connector.delivered())
        status = await self.post(self.activity(chat, value=data, replyToId=card_id))
        assert status in (200, 201, 202), status
        return self.connector.delivered()[before:]


async def map_tenant(db: Database, clock: FixedClock, tenant: str, *orgs: Organisation) -> None:
    """Map a tenant to organisations, as `apbot tenants link TENANT --org ...` does."""
    async with db.sessions() as session, session.begin():
        for org in orgs:
            await workspaces.link_workspace(
                session,
                platform="teams",
                external_id=tenant,
                organisation_id=org.id,
                by_person_id=None,
                at=clock.now(),
            )


def cards_in(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        a["content"]
        for activity in activities
        for a in activity.get("attachments") or []
        if a["contentType"] == "application/vnd.microsoft.card.adaptive"
    ]


def text_of(activities: list[dict[str, Any]]) -> str:
    """Everything the bot said, texts and cards, as one string (to look for what must not be)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("text", "title") and isinstance(value, str):
                    parts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(activities)
    return "\n".join(parts)


def last_card(activities: list[dict[str, Any]]) -> dict[str, Any]:
    found = cards_in(activities)
    assert found, f"no card in {activities}"
    return found[-1]


def action(card: dict[str, Any], title: str) -> dict[str, Any]:
    """A card's button by its title."""
    for candidate in card.get("actions") or []:
        if candidate["title"] == title:
            return candidate
    raise AssertionError(f"no {title!r} button on {card}")


def answer_input(card: dict[str, Any]) -> dict[str, Any] | None:
    return next((e for e in card["body"] if e.get("id") == "answer"), None)


def fill(card: dict[str, Any], answer: str | None = None, button: str = "Send") -> dict[str, Any]:
    """The value Teams sends when the card's `answer` input holds `answer` and `button` is pressed."""
    data = dict(action(card, button)["data"])
    if answer is not None and answer_input(card) is not None:
        data["answer"] = answer
    return data


def field_of(card: dict[str, Any]) -> str:
    """The dialog field a card asks for (its prompt id is `<state>.<version>.<field>`)."""
    data = card["actions"][0]["data"]
    return str(data["prompt_id"]).split(".", 2)[2]


def _choice_value(choices: list[dict[str, Any]], typed: str) -> str:
    token = typed.strip().lower()
    if token.isdigit():
        return str(choices[int(token) - 1]["value"])
    for choice in choices:
        if token in (str(choice["value"]).lower(), str(choice["title"]).lower()):
            return str(choice["value"])
    starting = [c for c in choices if str(c["title"]).lower().startswith(token)]
    assert len(starting) == 1, f"{typed!r} matches {starting} of {choices}"
    return str(starting[0]["value"])


def as_clicked(card: dict[str, Any], typed: str) -> dict[str, Any]:
    """What a person does on this card to give the answer a terminal user would type:
    picks the choice(s), fills the date or time picker, presses Yes or Skip."""
    data = card["actions"][0]["data"]
    kind = data["kind"]
    if kind in ("yesno", "confirm"):
        yes = typed.strip().lower() in ("yes", "y", "true", "ok", "save")
        return fill(card, button=("Yes, save" if kind == "confirm" else "Yes") if yes else "No")
    if typed.strip().lower() == "skip":
        return fill(card, button="Skip")
    field = answer_input(card)
    assert field is not None
    if not typed.strip():  # blank: the picker's preset value (a choice's default) or nothing
        return fill(card, str(field.get("value", "")))
    if kind == "choice":
        return fill(card, _choice_value(field["choices"], typed))
    if kind == "multichoice":
        parts = [p for p in typed.replace(";", ",").split(",") if p.strip()]
        return fill(card, ",".join(_choice_value(field["choices"], p) for p in parts))
    if kind == "date":
        day, month, year = typed.strip().split("/")
        return fill(card, f"{year}-{int(month):02d}-{int(day):02d}")
    return fill(card, typed)


@dataclass
class Waits:
    """The pauses the retry policy asked for (recorded, not slept)."""

    seconds: list[float]

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    """The Bot Framework connector, faked by a local server."""
    async with FakeBotConnector() as fake:
        yield fake


@pytest.fixture
def waits() -> Waits:
    return Waits([])


@pytest.fixture
async def client(
    db: Database, clock: FixedClock, waits: Waits
) -> AsyncIterator[TestClient[Any, Any]]:
    """The bot's whole web app (as `apbot serve` builds it), Teams as a local trial (no app id)."""
    runtime = Runtime(
        Settings(database_url=db.url, host="127.0.0.1", teams_local_trial=True),
        db.engine,
        db.sessions,
        clock,
    )
    app = build_app(runtime)
    app[TEAMS].adapter.sleep = waits
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client
