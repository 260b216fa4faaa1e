"""One scheduler pass: evaluate the rules at `now`, queue what is newly owed (nudges and
digests, each key once), then deliver whatever is due. The server runs a pass every minute;
the day's reminders are prepared by the first pass at or after the preparation time and
reconciled by the first at or after the reminder time (see
`storage.services.reminder_preparation` and `storage.services.reminder_sweeps`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import Deliverer
from bot.scheduler.worker import DeliveryReport, OutboxWorker, Sleep
from storage.clock import Clock
from storage.db import transaction
from storage.files import ExportSweep
from storage.rules.nudges import NudgeTimes, due_nudges
from storage.services.audit import Change
from storage.services.audit_chain import check_daily
from storage.services.digest_queue import queue_digests
from storage.services.nudge_facts import gather_facts, name_fresh
from storage.services.nudges import not_yet_queued, queue_nudges
from storage.services.reminder_sweeps import prepare_day_reminders, queue_day_reminders
from storage.services.welfare import escalate_unreached

log = logging.getLogger(__name__)


@dataclass
class PassReport:
    """What one pass did."""

    at: dt.datetime
    nudges: int = 0
    # The day's reminders prepared ahead (held until the reminder time).
    prepared: int = 0
    digests: int = 0
    escalations: int = 0
    exports_removed: int = 0
    audit_chain_broken: bool = False
    delivery: DeliveryReport = field(default_factory=DeliveryReport)

    def summary(self) -> str:
        d = self.delivery
        return (
            f"{self.nudges} nudge(s) and {self.digests} digest(s) queued, "
            f"{self.escalations} unreached welfare call(s) raised; {d.sent} sent, "
            f"{d.retried} to retry, {d.parked} parked, {d.expired} no longer needed."
        ) + (
            " The audit log's hash chain is BROKEN: admins told." if self.audit_chain_broken else ""
        )


class Scheduler:
    """Rules → outbox → delivery, against the shared database."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        deliverers: Sequence[Deliverer],
        *,
        times: NudgeTimes | None = None,
        instance: str | None = None,
        sleep: Sleep = asyncio.sleep,
        exports: ExportSweep | None = None,
        audit_check: dt.time = dt.time(6, 0),
        sweep_parts: int = 1,
        prepare_at: dt.time | None = dt.time(6, 0),
    ) -> None:
        self.sessions = sessions
        self.exports = exports
        self.clock = clock
        self.times = times or NudgeTimes()
        self.audit_check = audit_check
        # The day's reminders in this many parts, shared with the other instances (the same
        # number on every instance): see `storage.services.reminder_sweeps`.
        self.sweep_parts = sweep_parts
        # When the day's reminders are prepared ahead (None: not at all, swept at the time).
        self.prepare_at = prepare_at
        self.instance = instance or f"bot-{secrets.token_hex(4)}"
        self.worker = OutboxWorker(sessions, clock, deliverers, instance=self.instance, sleep=sleep)

    async def evaluate(self) -> PassReport:
        """Queue every nudge and digest owed now (a nudge already queued is left alone): the
        nudges due at a time of day every pass, the day's reminders once a day."""
        now = self.clock.now()
        report = PassReport(at=now)
        async with transaction(self.sessions) as session:
            facts = await gather_facts(session, now, self.times, reminders=False)
            fresh = await not_yet_queued(session, due_nudges(facts, reminders=False))
            # Pupils' names are read (decrypted) only for the messages about to be written.
            named = await name_fresh(session, facts, fresh)
            report.nudges = await queue_nudges(session, named, looked_up=True)
        if self.prepare_at is not None:
            report.prepared = await prepare_day_reminders(
                self.sessions, now, self.times, prepare_at=self.prepare_at,
                instance=self.instance, parts=self.sweep_parts,
            )  # fmt: skip
        report.nudges += await queue_day_reminders(
            self.sessions, now, self.times, instance=self.instance, parts=self.sweep_parts
        )
        report.digests = await queue_digests(self.sessions, now, self.times.digest)
        try:
            async with transaction(self.sessions) as session:
                # Welfare calls nobody reached by the end of the school day: the DSL, at once.
                raised = await escalate_unreached(
                    session, Change(person_id=None, channel="scheduler", at=now), now=now
                )
                report.escalations = len(raised)
        except IntegrityError:  # another instance raised the same call first: nothing lost
            log.info("scheduler: welfare escalations already raised by another instance")
        # Once a day: walk the audit log's hash chain; admins are alerted on a break.
        checked = await check_daily(
            self.sessions, now, due=self.audit_check, instance=self.instance
        )
        report.audit_chain_broken = checked is not None and not checked.intact
        return report

    async def run_pass(self) -> PassReport:
        """Evaluate, then deliver what is due."""
        report = await self.evaluate()
        report.delivery = await self.worker.deliver_due()
        if self.exports is not None:  # the terminal's exports past EXPORTS_KEEP_HOURS
            report.exports_removed = len(self.exports.run(self.clock.now()))
        return report

    async def run_forever(self, stop: asyncio.Event, *, every: float = 60.0) -> None:
        """A pass every `every` seconds until `stop` is set. A failing pass is logged (with a
        reference) and the next one runs as usual."""
        while not stop.is_set():
            try:
                report = await self.run_pass()
                if report.nudges or report.digests or report.delivery.sent:
                    log.info("scheduler pass: %s", report.summary())
            except Exception:
                log.exception("scheduler pass failed (ref %s)", secrets.token_hex(3).upper())
            try:
                await asyncio.wait_for(stop.wait(), timeout=every)
            except TimeoutError:
                pass
