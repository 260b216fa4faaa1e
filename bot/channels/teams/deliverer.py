"""Proactive Teams messages: the helper that sends through a stored conversation reference, and
`TeamsDeliverer`, how the scheduler's notices (nudges, alerts, digests) reach people in Teams.

A nudge's buttons are `Action.Submit`s carrying `{"nudge": action, "outbox_id": id}`; pressing
one comes back to `TeamsChannel`, which calls `storage.services.nudges.act_on_nudge`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.teams import cards, references
from bot.channels.teams.activities import PLATFORM
from bot.channels.teams.adapter import TeamsAdapter
from bot.channels.teams.references import NoReference
from bot.channels.teams.retry import ConnectorError
from bot.delivery import DeliveryFailed, Notice, Recipient
from storage.db import transaction

GONE_STATUSES = frozenset({403, 404})  # the bot was removed, or the conversation is gone
NOTICE_QUESTION = 200  # characters of the notice kept on its buttons, to close its card later


async def reference_for(session: AsyncSession, recipient: Recipient) -> dict[str, Any] | None:
    """The stored reference that reaches this recipient in Teams, if any."""
    if recipient.is_channel:
        if recipient.channel_platform != PLATFORM or not recipient.channel_external_id:
            return None
        return await references.for_channel(session, recipient.channel_external_id)
    if recipient.person_id is None:
        return None
    return await references.for_person(session, recipient.person_id)


async def send_proactive(
    adapter: TeamsAdapter,
    sessions: async_sessionmaker[AsyncSession],
    recipient: Recipient,
    activities: list[dict[str, Any]],
) -> list[str]:
    """Send messages to a person's personal chat or a linked channel, through the stored
    reference; the new activities' ids. Raises `NoReference` if they can't be reached yet,
    `ConnectorError` if Teams refuses after the retries."""
    async with transaction(sessions) as session:
        reference = await reference_for(session, recipient)
    if reference is None:
        raise NoReference(f"no Teams conversation reference for {recipient!r}")
    return await adapter.send_proactive(reference, activities)


def notice_activity(notice: Notice) -> dict[str, Any]:
    """A notice as a message: plain text, or a card when it has buttons or sections."""
    if not notice.buttons and not notice.sections:
        return cards.text_activity(notice.text)
    question = notice.text[:NOTICE_QUESTION]
    buttons = [
        (
            button.label,
            {
                "nudge": button.action,
                "outbox_id": notice.outbox_id,
                "value": button.value,
                "question": question,
            },
        )
        for button in notice.buttons
    ]
    return cards.card_activity(cards.notice_card(notice.text, buttons, notice.sections))


class TeamsDeliverer:
    """The scheduler's `Deliverer` for Teams (see `bot/delivery.py`)."""

    platform = PLATFORM

    def __init__(self, adapter: TeamsAdapter, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.adapter = adapter
        self.sessions = sessions

    async def can_reach(self, recipient: Recipient) -> bool:
        """True when a conversation reference is stored for the person or channel (and, in the
        local trial, it is on this machine)."""
        async with transaction(self.sessions) as session:
            reference = await reference_for(session, recipient)
        return reference is not None and self.adapter.may_send_to(reference.get("serviceUrl"))

    async def send(self, notice: Notice) -> None:
        """Send it (retrying 429/412/502/504 briefly), or raise `DeliveryFailed`."""
        try:
            await send_proactive(
                self.adapter, self.sessions, notice.recipient, [notice_activity(notice)]
            )
        except NoReference as error:
            raise DeliveryFailed(str(error), permanent=True) from error
        except ConnectorError as error:
            raise DeliveryFailed(
                f"Teams refused the message ({error.status or 'unreachable'})",
                retry_after=error.retry_after,
                permanent=error.status in GONE_STATUSES,
            ) from error
