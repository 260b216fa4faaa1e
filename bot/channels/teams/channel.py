"""The Teams channel: each incoming activity turned into a dialog turn, replies sent back as
text and Adaptive Cards, conversation references kept for proactive messages.

A personal chat is private; a group chat or a team channel is shared (others can read it), so
the dialogs there name pupils by placement reference only, as in a Slack shared channel. A team
channel linked to an organisation (`apbot channels link --platform teams`) is also where that
organisation's channel notices go.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.inbound import InboundQueue, TurnOpening
from bot.channels.nudge_actions import Pressed, press
from bot.channels.teams import cards, files
from bot.channels.teams import wording as teams_wording
from bot.channels.teams.activities import (
    PLATFORM,
    Conversation,
    card_value,
    incoming,
    sender,
)
from bot.channels.teams.adapter import (
    ACTIVITY,
    TeamsAdapter,
    TeamsTurn,
    conversation_reference,
)
from bot.channels.teams.gate import LOCAL_TRIAL_TENANT, activity_tenant, tenant_allowed
from bot.channels.teams.identity import Identified, identify
from bot.channels.teams.references import save_for_channel, save_for_person
from bot.channels.teams.retry import ConnectorError, RetryPolicy, Sleep
from bot.channels.turn import (
    Answered,
    Known,
    Where,
    first_time,
    linked_place,
    take_turn,
)
from bot.settings import Settings
from dialogs import wording
from dialogs.prompts import Done, ErrorReply, Message, Reply
from dialogs.runner import DialogRunner, Incoming
from storage.clock import Clock
from storage.db import DATABASE_UNREACHABLE, transaction
from storage.models import Person
from storage.services import pending_files
from storage.services.conversation_refs import StoredRef
from storage.services.identity_links import teams_tenant_mapped
from storage.services.shared_channels import find_channel
from storage.services.turn_reads import tenant_admits

log = logging.getLogger(__name__)
MAPPED_TENANT_KEPT = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Delivery:
    """One message activity, read for the turn pipeline: what was said, its id (a retry from
    Teams repeats it), and the nudge button pressed, if it is one (`bot.channels.nudge_actions`)."""

    turn: TeamsTurn
    said: Incoming
    delivery: str | None
    nudge: Pressed | None = None

    @classmethod
    def of(cls, turn: TeamsTurn) -> Delivery:
        activity_id = turn.activity.get("id")
        value = card_value(turn.activity)
        pressed = None
        if value is not None and "nudge" in value:
            pressed = Pressed(str(value.get("nudge")), str(value.get("outbox_id")))
        said = incoming(turn.activity)
        return cls(turn, said, str(activity_id) if activity_id else None, pressed)


class TeamsChannel:
    """Answers Teams: the `TurnHandler` behind the adapter at POST /api/messages, and Teams'
    side of the turn pipeline (`bot.channels.turn.Platform`, with the nudge buttons'
    `bot.channels.nudge_actions.NudgeButtons`)."""

    platform = PLATFORM
    channel = PLATFORM
    network_errors: tuple[type[BaseException], ...] = ()

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        sleep: Sleep | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.runner = DialogRunner(sessions, clock)
        self.adapter = TeamsAdapter(settings, self, sleep=sleep, policy=policy)
        # Every acknowledged activity is kept before the 202 (see bot/channels/inbound.py).
        self.inbound = InboundQueue(
            platform=PLATFORM,
            settings=settings,
            sessions=sessions,
            clock=clock,
            work=self.adapter.work,
        )
        self.inbound.handle(ACTIVITY, self.adapter.replay)
        self.adapter.inbound = self.inbound
        self.allowed_tenants = settings.allowed_teams_tenants()
        # Tenants found mapped, and until when that is taken as read (see `_tenant_served`).
        self._mapped_until: dict[str, dt.datetime] = {}

    async def on_activity(self, turn: TeamsTurn) -> None:
        """One activity from Teams. Never raises for anything a person can cause."""
        kind = turn.activity.get("type")
        try:
            if not await self._tenant_served(turn.activity):
                await self._not_set_up(turn)
            elif kind == "message":
                await take_turn(self, Delivery.of(turn))
            elif kind in ("conversationUpdate", "installationUpdate"):
                await self._installed(turn)
            elif kind == "invoke" and turn.activity.get("name") == "fileConsent/invoke":
                await self._file_consent(turn)
        except DATABASE_UNREACHABLE:  # before the dialog runner could say so itself
            await self._tell(turn, wording.DATABASE_TROUBLE, "database unreachable")
        except Exception:
            await self._tell(turn, wording.OUR_FAULT, "Teams turn failed")

    async def _tell(self, turn: TeamsTurn, message: str, what: str) -> None:
        """Log a failed turn with a reference, and tell the person, quoting it."""
        ref = secrets.token_hex(3).upper()
        log.exception("%s (ref %s)", what, ref)
        try:
            await turn.send([cards.text_activity(message.format(ref=ref))])
        except ConnectorError:
            log.warning("could not tell the person about ref %s", ref)

    # ----- who, and where to reach them -------------------------------------------------------

    def _tenant_listed(self, activity: dict[str, Any]) -> bool:
        """The activity's tenant is in TEAMS_ALLOWED_TENANTS (by default the bot's own; in the
        local trial with no list, any)."""
        return tenant_allowed(activity, self.allowed_tenants, local_trial=self.adapter.local_trial)

    async def _tenant_served(self, activity: dict[str, Any]) -> bool:
        """A tenant is let in when it is listed (no database read) or mapped to an organisation
        (`apbot tenants link`). Who is recognised there is decided per person, from the
        database, in the turn (`teams_tenant_admits`): so a tenant found mapped is taken as
        mapped for a minute without reading again (a turn stays one transaction), and one
        unmapped meanwhile is still told "ask your admin" by that check."""
        if self._tenant_listed(activity):
            return True
        tenant = activity_tenant(activity)
        if not tenant:
            return False
        now = self.clock.now()
        until = self._mapped_until.get(tenant)
        if until is not None and now < until:
            return True
        async with transaction(self.sessions) as session:
            mapped = await teams_tenant_mapped(session, tenant)
        if mapped:
            self._mapped_until[tenant] = now + MAPPED_TENANT_KEPT
        else:
            self._mapped_until.pop(tenant, None)
        return mapped

    async def _not_set_up(self, turn: TeamsTurn) -> None:
        """An activity from a tenant that is neither listed nor mapped: nothing of it is read or kept (the
        log names the tenant, never the content); a message gets a polite answer."""
        kind = turn.activity.get("type")
        log.warning(
            "Teams %r refused: tenant %r is not allowed",  # %r: a newline can't forge a line
            str(kind)[:40],
            str(activity_tenant(turn.activity))[:64],
        )
        if kind == "message":
            await turn.send([cards.text_activity(teams_wording.ORGANISATION_NOT_SET_UP)])
        elif kind == "invoke":
            await turn.respond(403)

    def _tenant(self, activity: dict[str, Any]) -> str | None:
        return activity_tenant(activity) or (
            LOCAL_TRIAL_TENANT if self.adapter.local_trial else None
        )

    async def _person(self, turn: TeamsTurn) -> Identified:
        user_id, aad_object_id, _ = sender(turn.activity)
        return await identify(
            self.sessions,
            self.clock,
            user_id=user_id,
            aad_object_id=aad_object_id,
            tenant_id=self._tenant(turn.activity),
            tenant_listed=self._tenant_listed(turn.activity),
            lookup=turn.member,
        )

    async def _remember(self, activity: dict[str, Any], person: Person | None) -> None:
        """Refresh the stored references from this activity (serviceUrl can change)."""
        async with transaction(self.sessions) as session:
            await self._remember_in(session, activity, person)

    async def _remember_in(
        self,
        session: AsyncSession,
        activity: dict[str, Any],
        person: Person | None,
        stored: StoredRef | None = None,
    ) -> int | None:
        """The same, in `session` (`stored`: the person's reference, read there already); the
        organisation a linked shared chat belongs to."""
        where = Conversation.of(activity)
        reference = conversation_reference(activity)
        now = self.clock.now()
        if where.personal and person is not None:
            await save_for_person(
                session, person_id=person.id, reference=reference, at=now, stored=stored
            )
        elif where.shared:
            channel = await find_channel(session, PLATFORM, where.shared_id)
            if channel is not None:
                await save_for_channel(session, channel=channel, reference=reference, at=now)
                return channel.organisation_id
        return None

    # ----- messages: the turn pipeline's steps -----------------------------------------------

    async def recognise(
        self, session: AsyncSession, inbound: Delivery, opening: TurnOpening
    ) -> Known | None:
        """A message from someone linked already (by tenant and object id), that is not a
        nudge's button or someone else's card: their reference kept, and where, in the turn's
        transaction. Anyone else takes the long way."""
        activity = inbound.turn.activity
        value = card_value(activity)
        if value is not None and "nudge" in value:
            return None
        _, aad_object_id, _ = sender(activity)
        tenant_id = self._tenant(activity)
        if not aad_object_id or not tenant_id:
            return None
        # Who, their reference, their dialog's state here and the tenant's mapping: one
        # statement (the state's conversation as `_where` names it for this sender).
        conversation = Conversation.of(activity).key(aad_object_id)
        found = await opening.read(
            session, aad_object_id, conversation=conversation, tenant_id=tenant_id
        )
        if found is None:
            return None
        person = found.person
        if not tenant_admits(found, listed=self._tenant_listed(activity)):
            return None  # the long way, where they are told to ask their admin (and logged)
        if value is not None and value.get("person") not in (None, person.id):
            return None
        place = await self._remember_in(session, activity, person, found.ref)
        where = self._where(inbound, person, place)
        if where.conversation != conversation:  # never: `_where` keys it by the same sender
            return Known(person, where)
        return Known(person, where, state=found.state)

    async def identify(self, inbound: Delivery) -> Person | str:
        person = await self._person(inbound.turn)
        if isinstance(person, Person):
            return person
        return person.text if person else wording.NO_ACCESS

    async def intercept(self, inbound: Delivery, person: Person) -> bool:
        """Keep the conversation reference; answer a nudge's button, and refuse someone
        else's card."""
        turn = inbound.turn
        await self._remember(turn.activity, person)
        if inbound.nudge is not None:
            await press(self, inbound, person, inbound.nudge)
            return True
        value = card_value(turn.activity)
        if value is not None and value.get("person") not in (None, person.id):
            await turn.send([cards.text_activity(teams_wording.NOT_YOUR_CARD)])
            return True
        return False

    async def locate(self, inbound: Delivery, person: Person) -> Where:
        """This person's conversation in this chat. A chat linked to an organisation names only
        that organisation's placements, and only its staff (and the commissioning schools')
        may use it."""
        conversation = Conversation.of(inbound.turn.activity)
        place = None
        if conversation.shared:
            place = await linked_place(self.sessions, PLATFORM, conversation.shared_id)
        return self._where(inbound, person, place)

    def _where(self, inbound: Delivery, person: Person, place: int | None) -> Where:
        conversation = Conversation.of(inbound.turn.activity)
        user_id, aad_object_id, _ = sender(inbound.turn.activity)
        key = conversation.key(aad_object_id or person.teams_aad_object_id or f"person-{person.id}")
        return Where(
            PLATFORM,
            key,
            conversation.conversation_id,
            user_id,
            shared=conversation.shared,
            place=place,
        )

    async def update(self, turn: Answered[Delivery]) -> None:
        activity = turn.inbound.turn.activity
        value = card_value(activity)
        # A nudge's card was closed when its button was pressed (`close_nudge`).
        if value is not None and "nudge" not in value and activity.get("replyToId"):
            accepted = not any(
                isinstance(r, ErrorReply)
                or (isinstance(r, Message) and r.text == wording.ALREADY_ANSWERED)
                for r in turn.replies
            )
            await self._close_card(turn.inbound.turn, str(value.get("question") or ""), accepted)

    async def send(self, turn: Answered[Delivery]) -> list[str]:
        files = await self._offer_files(turn.person, turn.where, turn.replies)
        activities = cards.render(turn.replies, person_id=turn.person.id) + files
        return await turn.inbound.turn.send(activities)

    async def finish(self, turn: Answered[Delivery], posted: Sequence[str]) -> None:
        """Nothing: a card answered later is matched by its prompt id, not remembered."""

    async def close_nudge(self, inbound: Delivery, outcome: str) -> None:
        """Close the nudge's card, and say what its button did."""
        turn = inbound.turn
        if turn.activity.get("replyToId"):
            value = card_value(turn.activity) or {}
            await self._close_card(turn, str(value.get("question") or ""), True)
        await turn.send([cards.text_activity(outcome)])

    def opened(self, inbound: Delivery, said: Incoming) -> Delivery:
        return Delivery(inbound.turn, said, None)

    async def tell(self, inbound: Delivery, reply: Message | ErrorReply) -> None:
        try:
            await inbound.turn.send([cards.text_activity(reply.text)])
        except ConnectorError:
            log.warning("could not tell the person (%s)", type(reply).__name__)

    async def _close_card(self, turn: TeamsTurn, question: str, accepted: bool) -> None:
        """Replace the card that was just answered, so it can't be submitted again."""
        reply_to = str(turn.activity.get("replyToId"))
        try:
            await turn.update(
                reply_to, cards.card_activity(cards.closed_card(question, accepted=accepted))
            )
        except ConnectorError as error:  # the answer is saved; an old card is refused anyway
            log.warning("could not close an answered card (%s)", error.status)

    # ----- files (reports, exports) ----------------------------------------------------------

    async def _offer_files(
        self, person: Person, where: Where, replies: Sequence[Reply]
    ) -> list[dict[str, Any]]:
        """A consent card for each file a dialog produced (personal chats only: others can read
        a shared chat)."""
        attachments = [f for r in replies if isinstance(r, Done) for f in r.files]
        if not attachments:
            return []
        if where.shared:
            return [cards.text_activity(teams_wording.FILES_ONLY_IN_PERSONAL_CHAT)]
        offers = []
        async with transaction(self.sessions) as session:
            for attachment in attachments:
                held = await pending_files.hold(
                    session,
                    person_id=person.id,
                    filename=attachment.filename,
                    media_type=attachment.media_type,
                    content=attachment.content,
                    at=self.clock.now(),
                )
                offers.append(
                    files.consent_activity(
                        file_id=held.id,
                        filename=attachment.filename,
                        size=len(attachment.content),
                        description=teams_wording.FILE_DESCRIPTION.format(name=attachment.filename),
                    )
                )
        return offers

    async def _file_consent(self, turn: TeamsTurn) -> None:
        """The person accepted (or declined) a file: upload it to the place Teams gave."""
        value = turn.activity.get("value") or {}
        context = value.get("context") or {}
        person = await self._person(turn)
        file_id = str(context.get("file_id", ""))
        if not isinstance(person, Person) or not file_id.isdigit():
            await turn.respond(200)
            return
        async with transaction(self.sessions) as session:
            held = await pending_files.find(session, file_id=int(file_id), person_id=person.id)
            if held is None:
                message = teams_wording.FILE_GONE
            elif value.get("action") != "accept":
                await session.delete(held)
                message = teams_wording.FILE_DECLINED.format(name=held.filename)
            else:
                info = value.get("uploadInfo") or {}
                url = str(info.get("uploadUrl"))
                try:
                    if not self.adapter.may_send_to(url):
                        raise files.UploadFailed("upload address not on this machine (local trial)")
                    await files.upload(url, pending_files.content_of(held))
                except files.UploadFailed as error:
                    log.warning("Teams file upload failed: %s", error)
                    message = teams_wording.FILE_UPLOAD_FAILED
                else:
                    await session.delete(held)
                    await turn.send([files.info_activity(info)])
                    message = ""
        if message:
            await turn.send([cards.text_activity(message)])
        await turn.respond(200)

    # ----- installation -----------------------------------------------------------------------

    async def _installed(self, turn: TeamsTurn) -> None:
        """The bot added to a personal chat, a group chat or a team: keep the reference, and
        greet a person in their personal chat."""
        activity = turn.activity
        where = Conversation.of(activity)
        bot_id = (activity.get("recipient") or {}).get("id")
        added = activity.get("action") == "add" or any(
            member.get("id") == bot_id for member in activity.get("membersAdded") or []
        )
        if where.shared:
            await self._remember(activity, None)
            return
        if not added:
            return
        person = await self._person(turn)
        if not isinstance(person, Person):
            await turn.send([cards.text_activity(person.text if person else wording.NO_ACCESS)])
            return
        await self._remember(activity, person)
        # Teams announces an install twice (installationUpdate and conversationUpdate): greet once.
        conversation = (activity.get("conversation") or {}).get("id", "")
        key = f"welcome:{conversation}:{person.id}"
        if await first_time(self.sessions, self.clock, PLATFORM, key):
            await turn.send([cards.text_activity(teams_wording.WELCOME.format(name=person.name))])
