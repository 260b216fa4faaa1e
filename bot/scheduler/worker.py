"""Delivering the outbox: claim due rows, hand each to the first channel that can reach the
recipient, mark it sent, or retry with backoff and park it after five failures.

Several bot instances may run this against one PostgreSQL: rows are claimed with
`SELECT ... FOR UPDATE SKIP LOCKED` and a lease (`claimed_by`, `claimed_until`), so each row is
taken by one instance at a time; if an instance dies mid-send its lease runs out and another
instance sends the row (at least once, never dropped). SQLite runs one instance.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import Deliverer, DeliveryFailed, Notice, NoticeButton, Recipient
from bot.scheduler.limiter import Limiter, conversation_of
from storage.clock import Clock
from storage.db import transaction
from storage.models import ChatChannel, OutboxMessage, OutboxStatus, Person, Placement
from storage.services.nudges import why_stale
from storage.services.outbox import deliverable
from storage.wording import nudges as nudge_wording

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Waits between attempts after the 1st, 2nd, 3rd and 4th failure; the 5th parks the row.
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=15),
    dt.timedelta(hours=1),
)
# A Retry-After up to this long is waited out in the same pass; a longer one reschedules.
MAX_INLINE_WAIT = 30.0
LEASE = dt.timedelta(minutes=5)

Sleep = Callable[[float], Awaitable[None]]


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    retried: int = 0
    parked: int = 0
    expired: int = 0


def buttons_for(row: OutboxMessage) -> list[NoticeButton]:
    """Done (where it means something), Snooze (reminders only) and Open, each carrying the
    outbox id so a click finds its nudge."""
    payload = row.payload or {}
    value = str(row.id)
    buttons: list[NoticeButton] = []
    if payload.get("done") == "tick":
        buttons.append(NoticeButton(action="done", label=nudge_wording.DONE, value=value))
    elif payload.get("done") == "present":
        buttons.append(NoticeButton(action="done", label=nudge_wording.ALL_PRESENT, value=value))
    if payload.get("snoozable"):
        buttons.append(
            NoticeButton(action="snooze_day", label=nudge_wording.SNOOZE_DAY, value=value)
        )
        buttons.append(
            NoticeButton(action="snooze_week", label=nudge_wording.SNOOZE_WEEK, value=value)
        )
    if payload.get("open"):
        buttons.append(NoticeButton(action="open", label=nudge_wording.OPEN, value=value))
    return buttons


async def notice_for(session: AsyncSession, row: OutboxMessage) -> Notice:
    """The row as a Notice: who it is for, its text, buttons and sections."""
    recipient = Recipient()
    if row.recipient_id is not None:
        # Just the person's columns (their organisation would bring its sites too).
        person = (
            await session.execute(
                select(
                    Person.id,
                    Person.name,
                    Person.email,
                    Person.slack_user_id,
                    Person.slack_team_id,
                    Person.teams_aad_object_id,
                ).where(Person.id == row.recipient_id)
            )
        ).first()
        if person is not None:
            recipient = Recipient(
                person_id=person.id,
                name=person.name,
                email=person.email,
                slack_user_id=person.slack_user_id,
                slack_team_id=person.slack_team_id,
                teams_aad_object_id=person.teams_aad_object_id,
            )
    elif row.channel_ref and row.channel_ref.startswith("channel:"):
        channel = await session.get(ChatChannel, int(row.channel_ref.partition(":")[2]))
        if channel is not None:
            recipient = Recipient(
                channel_platform=channel.platform,
                channel_external_id=channel.external_id,
                slack_team_id=channel.workspace_id,
            )
    reference = (row.payload or {}).get("reference")
    if reference is None and row.placement_id is not None:
        reference = await session.scalar(
            select(Placement.reference).where(Placement.id == row.placement_id)
        )
    sections = (row.payload or {}).get("sections") or []
    return Notice(
        outbox_id=row.id,
        key=row.key,
        kind=row.kind,
        text=row.text,
        recipient=recipient,
        placement_reference=reference,
        buttons=buttons_for(row),
        sections=list(sections),
    )


class OutboxWorker:
    """Sends what is due in the outbox through the given channels (the first that can reach
    the recipient sends)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        deliverers: Sequence[Deliverer],
        *,
        instance: str | None = None,
        batch_size: int = 50,
        sleep: Sleep = asyncio.sleep,
        limiter: Limiter | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.deliverers = list(deliverers)
        self.instance = instance or f"bot-{secrets.token_hex(4)}"
        self.batch_size = batch_size
        self.sleep = sleep
        self.limiter = limiter or Limiter(clock, sleep)

    async def deliver_due(self) -> DeliveryReport:
        """Send everything due now, batch by batch, until nothing due is left unclaimed."""
        report = DeliveryReport()
        while True:
            claimed, found = await self._claim(report)
            if not found:
                return report
            for row_id, notice in claimed:
                await self._deliver(row_id, notice, report)

    async def _claim(self, report: DeliveryReport) -> tuple[list[tuple[int, Notice]], int]:
        """Take up to a batch of due rows for this instance; rows that no longer apply are
        marked expired instead. Returns the rows to send and how many rows were found."""
        async with transaction(self.sessions) as session:
            now = self.clock.now()
            rows = list(
                await session.scalars(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.status == OutboxStatus.pending,
                        OutboxMessage.due_at <= now,
                        # Not a reminder prepared ahead that the reminder time's pass has not
                        # yet reconciled (and might withdraw).
                        deliverable(),
                        or_(
                            OutboxMessage.next_attempt_at.is_(None),
                            OutboxMessage.next_attempt_at <= now,
                        ),
                        or_(
                            OutboxMessage.claimed_until.is_(None),
                            OutboxMessage.claimed_until < now,
                        ),
                    )
                    .order_by(OutboxMessage.due_at, OutboxMessage.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            )
            claimed: list[tuple[int, Notice]] = []
            for row in rows:
                row.claimed_by, row.claimed_until = self.instance, now + LEASE
                stale = await why_stale(session, row, now)
                if stale is not None:
                    row.status, row.last_error = OutboxStatus.expired, f"not sent: {stale}"
                    row.claimed_by = row.claimed_until = None
                    report.expired += 1
                    continue
                claimed.append((row.id, await notice_for(session, row)))
            return claimed, len(rows)

    async def _channel_for(self, recipient: Recipient) -> Deliverer | None:
        for deliverer in self.deliverers:
            if await deliverer.can_reach(recipient):
                return deliverer
        return None

    async def _deliver(self, row_id: int, notice: Notice, report: DeliveryReport) -> None:
        deliverer = await self._channel_for(notice.recipient)
        attempt_error: DeliveryFailed
        if deliverer is None:
            who = notice.recipient.name or notice.recipient.channel_external_id or "nobody"
            attempt_error = DeliveryFailed(
                f"no channel can reach {who} (no Slack or Teams identity)"
            )
        else:
            conversation = conversation_of(deliverer.platform, notice.recipient)
            while True:
                await self.limiter.wait(deliverer.platform, conversation)
                try:
                    await deliverer.send(notice)
                except DeliveryFailed as failed:
                    attempt_error = failed
                except Exception as error:  # a bug in a channel must not lose the message
                    ref = secrets.token_hex(3).upper()
                    log.exception("delivery of outbox row %s crashed (ref %s)", row_id, ref)
                    attempt_error = DeliveryFailed(f"{type(error).__name__} (ref {ref})")
                else:
                    await self._finish(row_id, sent_via=deliverer.platform)
                    report.sent += 1
                    return
                if attempt_error.retry_after is not None:
                    self.limiter.hold(deliverer.platform, conversation, attempt_error.retry_after)
                inline = (
                    not attempt_error.permanent
                    and attempt_error.retry_after is not None
                    and attempt_error.retry_after <= MAX_INLINE_WAIT
                )
                if not inline or not await self._count_failure(row_id, attempt_error, inline=True):
                    break
                report.retried += 1
            if inline:
                report.parked += 1
                return
        if await self._count_failure(row_id, attempt_error, inline=False):
            report.retried += 1
        else:
            report.parked += 1

    async def _finish(self, row_id: int, *, sent_via: str) -> None:
        # One UPDATE: reading the row back would decrypt its text (a digest's is long) again.
        async with transaction(self.sessions) as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id)
                .values(
                    status=OutboxStatus.sent,
                    sent_at=self.clock.now(),
                    delivered_via=sent_via,
                    attempts=OutboxMessage.attempts + 1,
                    last_error=None,
                    claimed_by=None,
                    claimed_until=None,
                    next_attempt_at=None,
                )
            )

    async def _count_failure(self, row_id: int, failed: DeliveryFailed, *, inline: bool) -> bool:
        """Record a failed attempt. True when it will be tried again, False when parked."""
        async with transaction(self.sessions) as session:
            row = await session.get(OutboxMessage, row_id, with_for_update=True)
            if row is None:
                return False
            row.attempts += 1
            row.last_error = str(failed)[:2000]
            if failed.permanent or row.attempts >= MAX_ATTEMPTS:
                row.status = OutboxStatus.parked
                row.claimed_by = row.claimed_until = row.next_attempt_at = None
                log.warning(
                    "outbox row %s (%s) parked after %s attempt(s)", row.id, row.kind, row.attempts
                )
                return False
            if inline:
                return True  # the caller waits Retry-After out and sends again, still holding it
            wait = BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
            if failed.retry_after is not None:
                wait = max(dt.timedelta(seconds=failed.retry_after), dt.timedelta(seconds=1))
            row.next_attempt_at = self.clock.now() + wait
            row.claimed_by = row.claimed_until = None
            return True
