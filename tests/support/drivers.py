"""One small driver per channel over the existing harnesses (tests/support/chat.py, the Slack
workspace of tests/support/slack.py, the Teams user of tests/support/teams.py), so that the same
scenario runs through the terminal, Slack and Teams (nautobot-chatops' pattern).

A driver speaks as one person: `say` is typing (in Slack's shared channel `/ap ...`, in a Teams
channel an @mention), `click` answers a question held earlier the way the platform's buttons or
cards do (a digit: that choice). `nudge` delivers a nudge with its buttons (Done, Snooze 1 day,
Snooze 1 week, Open) the way the scheduler does, `press` presses one (as whoever speaks now),
and `press_again` sends that very press once more (a replay). Each step returns what the bot
showed that person (`Shown`).
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.channels.slack import blocks
from bot.channels.slack.delivery import SlackDeliverer
from bot.channels.teams.deliverer import TeamsDeliverer
from bot.channels.teams.routes import TEAMS
from bot.cli.chat import chat as terminal_chat
from bot.delivery import Notice, NoticeButton, Recipient
from storage.clock import FixedClock
from storage.models import Organisation, Person
from storage.services.audit import Change
from storage.services.shared_channels import link_channel
from tests.fakes.bot_connector import FakeBotConnector
from tests.support.chat import JsonChat, texts
from tests.support.database import TEST_KEY
from tests.support.faulty import FaultyDatabase
from tests.support.slack import Posted, SlackWorkspace
from tests.support.teams import (
    Chat,
    TeamsUser,
    action,
    as_clicked,
    cards_in,
    field_of,
    fill,
    text_of,
)

STRANGER_EMAIL = "nobody@nowhere.example"
NUDGE_BUTTONS = [
    NoticeButton(action="done", label="Done", value="check"),
    NoticeButton(action="snooze_day", label="Snooze 1 day", value="check"),
    NoticeButton(action="snooze_week", label="Snooze 1 week", value="check"),
    NoticeButton(action="open", label="Open", value="check"),
]


def nudge_notice(outbox_id: int, text: str, recipient: Recipient) -> Notice:
    """A nudge as the scheduler hands it to a platform, with its four buttons."""
    return Notice(
        outbox_id=outbox_id,
        key=f"nudge-{outbox_id}",
        kind="check_due",
        text=text,
        recipient=recipient,
        buttons=NUDGE_BUTTONS,
    )


@dataclass(frozen=True)
class Shown:
    """What the bot showed the person in one step: all its words, and the field of the question
    it ended on (None when it ended on no question)."""

    text: str
    field: str | None


class Driver(ABC):
    """One channel, driven as one person at a time."""

    name: str
    has_shared_places = True

    def __init__(self, faulty: FaultyDatabase, clock: FixedClock) -> None:
        self.faulty = faulty
        self.clock = clock

    async def link_shared_place(self, external_id: str, organisation: Organisation) -> None:
        async with self.faulty.db.sessions() as session, session.begin():
            await link_channel(
                session,
                Change(person_id=None, channel="test", at=self.clock.now()),
                platform=self.name,
                external_id=external_id,
                organisation=organisation,
                name="provider-shared",
            )

    @abstractmethod
    async def sign_in(self, person: Person, *, shared_with: Organisation | None = None) -> None:
        """Speak as `person`: in their DM, or in a shared place linked to `shared_with`."""

    @abstractmethod
    async def sign_in_stranger(self) -> None:
        """Speak as someone the bot doesn't know."""

    @abstractmethod
    async def say(self, text: str) -> Shown:
        """Type `text`."""

    @abstractmethod
    def hold(self) -> Any:
        """The question showing now, to be answered later."""

    @abstractmethod
    async def click(self, held: Any, answer: str) -> Shown:
        """Answer a held question with its buttons (or card); a digit picks that choice."""

    @abstractmethod
    async def nudge(self, outbox_id: int, text: str) -> Any:
        """Deliver the nudge `outbox_id` (with its buttons) to the person signed in; it, held."""

    @abstractmethod
    async def press(self, held: Any, button: str) -> Shown:
        """Press a held nudge's button (`done`, `snooze_day`, `snooze_week`, `open`)."""

    @abstractmethod
    async def press_again(self) -> Shown:
        """Send the last press once more, as it was (a replay)."""

    def seen_by_others(self) -> str:
        """Everything others in the shared place could read."""
        raise NotImplementedError


class TerminalDriver(Driver):
    name = "terminal"
    has_shared_places = False

    def __init__(
        self, faulty: FaultyDatabase, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        super().__init__(faulty, clock)
        self.monkeypatch = monkeypatch
        self.chat: JsonChat | None = None
        self.pressed: dict[str, Any] = {}

    async def sign_in(self, person: Person, *, shared_with: Organisation | None = None) -> None:
        assert shared_with is None, "the terminal has no shared place"
        self.chat = JsonChat(self.faulty.for_bot, self.clock, person)

    async def sign_in_stranger(self) -> None:
        self.chat = None

    async def say(self, text: str) -> Shown:
        if self.chat is None:  # `apbot chat --as` someone not set up
            return await self._stranger(text)
        out = await self.chat.say(text)
        return self._shown(out)

    def _shown(self, out: list[dict[str, Any]]) -> Shown:
        field = out[-1]["field"] if out and out[-1]["type"] == "prompt" else None
        return Shown(texts(out), field)

    async def _stranger(self, text: str) -> Shown:
        patch = self.monkeypatch
        patch.setenv("DATABASE_URL", self.faulty.db.url)
        patch.setenv("ENCRYPTION_KEYS", TEST_KEY)
        patch.setenv("REPORTS_DIR", tempfile.mkdtemp(prefix="apbot-files-"))
        patch.setattr(sys, "stdin", io.StringIO(text + "\n"))
        out = io.StringIO()
        patch.setattr(sys, "stdout", out)
        await terminal_chat(STRANGER_EMAIL, json_mode=True)
        return Shown(out.getvalue(), None)

    def hold(self) -> Any:
        assert self.chat is not None
        return next(r for r in reversed(self.chat.transcript) if r["type"] == "prompt")

    async def click(self, held: Any, answer: str) -> Shown:
        assert self.chat is not None
        prompt_id = held["prompt_id"]
        if answer.isdigit() and held.get("choices"):
            value = held["choices"][int(answer) - 1]["value"]
            return self._shown(await self.chat.say({"value": value, "prompt_id": prompt_id}))
        return self._shown(await self.chat.say({"text": answer, "prompt_id": prompt_id}))

    async def nudge(self, outbox_id: int, text: str) -> Any:
        return outbox_id  # the terminal has no messages to deliver: a script names the nudge

    async def press(self, held: Any, button: str) -> Shown:
        self.pressed = {"nudge": button, "outbox_id": held}
        return await self.press_again()

    async def press_again(self) -> Shown:
        if self.chat is None:
            return await self._stranger(json.dumps(self.pressed))
        return self._shown(await self.chat.say(self.pressed))


class SlackDriver(Driver):
    name = "slack"
    SHARED = "CSHARED"

    def __init__(self, faulty: FaultyDatabase, clock: FixedClock, slack: SlackWorkspace) -> None:
        super().__init__(faulty, clock)
        self.slack = slack
        self.user = ""
        self.channel: str | None = None
        self.pressed: tuple[str, Any, dict[str, Any]] | None = None

    async def sign_in(self, person: Person, *, shared_with: Organisation | None = None) -> None:
        self.user = f"U{person.id:04d}"
        self.slack.api.add_user(self.user, email=person.email)
        self.channel = None
        if shared_with is not None:
            await self.link_shared_place(self.SHARED, shared_with)
            self.channel = self.SHARED

    async def sign_in_stranger(self) -> None:
        self.user, self.channel = "USTRANGER", None
        self.slack.api.add_user(self.user, email=STRANGER_EMAIL)

    async def _step(self, send: Any, *, updated: bool = False) -> Shown:
        """What one request showed the person: messages, private answers and, with `updated`,
        what the messages it changed say now."""
        before = len(self.slack.api.calls)
        await send
        new = self.slack.api.calls[before:]
        posted = [
            Posted.from_call(c)
            for c in new
            if c.ok and c.method in ("chat.postMessage", "chat.postEphemeral")
        ]
        words = [p.words + "\n" + p.text for p in posted]
        words += [str(c.args.get("text", "")) for c in new if c.method == "response_url"]
        if updated:
            words += [str(c.args.get("text", "")) for c in new if c.method == "chat.update"]
        field = posted[-1].field if posted else None
        return Shown("\n".join(words), field)

    async def say(self, text: str) -> Shown:
        if self.channel is None:
            return await self._step(self.slack.dm(self.user, text))
        return await self._step(self.slack.command(self.user, text, channel=self.channel))

    def hold(self) -> Any:
        return (
            self.slack.last(user=self.user)
            if self.channel is None
            else self.slack.last(channel=self.channel)
        )

    async def click(self, held: Any, answer: str) -> Shown:
        if answer.isdigit():
            buttons = [
                (block_id, e)
                for block_id, e in held.elements()
                if str(e.get("action_id", "")).startswith(blocks.CHOICE)
            ]
            block_id, button = buttons[int(answer) - 1]
            action = {"type": "button", "block_id": block_id, **button}
            return await self._step(self.slack.act(self.user, held, action))
        return await self._step(self.slack.click(self.user, held, answer))

    async def nudge(self, outbox_id: int, text: str) -> Any:
        person = int(self.user.removeprefix("U"))
        me = Recipient(person_id=person, slack_user_id=self.user)
        await SlackDeliverer(self.slack.slack.client).send(nudge_notice(outbox_id, text, me))
        return self.slack.last(user=self.user)

    async def press(self, held: Any, button: str) -> Shown:
        block_id, element = next(
            (b, e) for b, e in held.elements() if e.get("action_id") == f"{blocks.NUDGE}{button}"
        )
        self.pressed = (self.user, held, {"type": "button", "block_id": block_id, **element})
        return await self.press_again()

    async def press_again(self) -> Shown:
        assert self.pressed is not None
        return await self._step(self.slack.act(*self.pressed), updated=True)

    def seen_by_others(self) -> str:
        public = [p for p in self.slack.posted(channel=self.SHARED) if not p.ephemeral]
        updates = [
            str(c.args.get("text", "")) + str(c.args.get("blocks", ""))
            for c in self.slack.updates()
            if c.args.get("channel") == self.SHARED
        ]
        return "\n".join([p.words + "\n" + p.text for p in public] + updates)


class TeamsDriver(Driver):
    name = "teams"
    CHANNEL = "19:contract0a64c4e8d2b7a5c9e1f0a2b@thread.tacv2"
    TEAM = "19:contractteam4c4e8d2b7a5c9e1f0a2b@thread.tacv2"

    def __init__(
        self,
        faulty: FaultyDatabase,
        clock: FixedClock,
        client: TestClient[Any, Any],
        connector: FakeBotConnector,
    ) -> None:
        super().__init__(faulty, clock)
        self.client = client
        self.connector = connector
        self.user: TeamsUser | None = None
        self.chat = Chat.personal("nobody")
        self.shared = False
        self.pressed: dict[str, Any] | None = None

    def _as(self, user_id: str, aad: str, email: str) -> None:
        self.connector.add_member(user_id, email=email, aad_object_id=aad)
        self.user = TeamsUser(self.client, self.connector, user_id, aad)

    async def sign_in(self, person: Person, *, shared_with: Organisation | None = None) -> None:
        self._as(f"29:p{person.id}", f"aad-{person.id}", person.email)
        self.shared = shared_with is not None
        if shared_with is not None:
            await self.link_shared_place(self.CHANNEL, shared_with)
            self.chat = Chat.team_channel(self.CHANNEL, self.TEAM, thread="1700000000000")
        else:
            self.chat = Chat.personal(f"29:p{person.id}")

    async def sign_in_stranger(self) -> None:
        self._as("29:stranger", "aad-stranger", STRANGER_EMAIL)
        self.chat, self.shared = Chat.personal("29:stranger"), False

    @staticmethod
    def _shown(activities: list[dict[str, Any]]) -> Shown:
        found = cards_in(activities)
        field = field_of(found[-1]) if found and found[-1].get("actions") else None
        return Shown(text_of(activities), field)

    async def say(self, text: str) -> Shown:
        assert self.user is not None
        return self._shown(await self.user.say(text, self.chat, mention=self.shared))

    def hold(self) -> Any:
        return self.connector.last_card()

    async def click(self, held: Any, answer: str) -> Shown:
        assert self.user is not None
        card_id, card = held
        data = fill(card, button="Cancel") if answer == "cancel" else as_clicked(card, answer)
        return self._shown(await self.user.submit(self.chat, data, card_id=card_id))

    async def nudge(self, outbox_id: int, text: str) -> Any:
        assert self.user is not None
        await self.say("help")  # Teams lets a bot write only where it has been spoken to
        person = int(self.user.user_id.removeprefix("29:p"))
        teams = self.client.app[TEAMS]
        deliverer = TeamsDeliverer(teams.adapter, teams.sessions)
        await deliverer.send(nudge_notice(outbox_id, text, Recipient(person_id=person)))
        return self.connector.last_card()

    async def press(self, held: Any, button: str) -> Shown:
        assert self.user is not None
        card_id, card = held
        label = next(b.label for b in NUDGE_BUTTONS if b.action == button)
        data = action(card, label)["data"]
        self.pressed = self.user.activity(self.chat, value=data, replyToId=card_id)
        return await self.press_again()

    async def press_again(self) -> Shown:
        assert self.user is not None and self.pressed is not None
        before = len(self.connector.delivered())
        assert await self.user.post(self.pressed) in (200, 201, 202)
        return self._shown(self.connector.delivered()[before:])

    def seen_by_others(self) -> str:
        updated = [u.body for u in self.connector.updates()]
        return text_of(self.connector.delivered()) + "\n" + text_of(updated)
