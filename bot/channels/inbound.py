"""Acknowledged means kept: each delivery a channel acknowledges is first written to the
inbound queue (`storage.services.inbound_queue`), so a process killed after the acknowledgement
loses nothing (Slack and Teams never send again what was acknowledged).

    web request -> verified -> `accept`: one short INSERT, committed -> 200 / 202
                                    |
    a worker (this process, or `apbot worker`) -> the turn -> the row deleted

- `accept` writes the row and, when this process runs turns and the sender has no earlier
  turn waiting, holds it at once and runs it here (no round trip through the table).
- `run` is the worker's loop: every `inbound_poll_seconds`, at once when a turn of this
  process finishes, and on PostgreSQL at once when another process keeps a turn for the
  workers (it `LISTEN`s; `inbound_queue.listen_for_new_turns`), it claims the turns nobody
  holds: those acknowledged by a process that runs no turns, a sender's next turn, and those
  whose holder died (its lease ran out). It renews the leases of what it holds while the turns
  wait or run.
- A turn runs once in effect: the turn's own transaction records its delivery key
  (`inbound_events`), so a turn run again after its holder died mid-way is dropped as "seen
  before" if it had committed, and runs if it had not.
- When the database cannot take the row, the turn runs from memory as before (and tells the
  person their answer was not saved, as it always has when the database is down).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import logging
import os
import socket
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.work import DEFAULT_LIMIT, Work
from bot.settings import Settings
from storage.clock import Clock
from storage.db import DATABASE_UNREACHABLE, single_statement, transaction
from storage.services import inbound_queue
from storage.services.inbound_events import first_delivery
from storage.services.turn_reads import FirstDelivery, TurnRead, read_turn, read_turn_once

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]
# Seconds the acknowledgement waits for the delivery to be kept (Slack gives up after 3).
KEEP_WITHIN = 1.0
# A turn that killed its process this many times is dropped (logged), not tried for ever.
MAX_ATTEMPTS = 5


class KeptTurn:
    """The kept delivery whose turn is running in this task (`RUNNING`): the turn's own
    transaction deletes it (`forget_in`), so its dialog's changes and the "done" mark commit
    together; whatever a turn does not forget that way is forgotten after it."""

    def __init__(self, turn_id: int) -> None:
        self.turn_id = turn_id
        self.forgotten = False
        # The transaction that deleted it, not yet committed (not to delete it twice there).
        self._deleted_in: AsyncSession | None = None

    async def forget_in(self, session: AsyncSession) -> None:
        """Delete it in `session`: forgotten once that commits (a rollback keeps it)."""
        if self._deleted_in is session:
            return
        await inbound_queue.finish(session, self.turn_id)
        self.deleted_in(session)

    def deleted_in(self, session: AsyncSession) -> None:
        """It was deleted in `session` (by `forget_in`, or with the first-delivery insert)."""
        self._deleted_in = session

        def committed(_: Any) -> None:
            self.forgotten = True
            self._deleted_in = None

        def rolled_back(_: Any) -> None:
            self._deleted_in = None

        event.listen(session.sync_session, "after_commit", committed, once=True)
        event.listen(session.sync_session, "after_rollback", rolled_back, once=True)


RUNNING: contextvars.ContextVar[KeptTurn | None] = contextvars.ContextVar(
    "running_kept_turn", default=None
)


def running_kept_turn() -> bool:
    """Whether this task runs a turn kept in the inbound queue."""
    return RUNNING.get() is not None


async def forget_running_turn(session: AsyncSession) -> None:
    """In a turn's transaction: the kept delivery it runs is done when this commits."""
    kept = RUNNING.get()
    if kept is not None and not kept.forgotten:
        await kept.forget_in(session)


async def first_delivery_of_turn(
    session: AsyncSession, *, platform: str, event_id: str, at: dt.datetime
) -> bool:
    """`first_delivery` in a turn's transaction; on PostgreSQL, for a kept turn, with the kept
    delivery's delete in the same statement (one round trip): it is then done when this
    commits, whether the delivery was seen before or not, and a caller that does not want
    that (the long way) rolls the transaction back."""
    kept = RUNNING.get()
    if kept is None or kept.forgotten or session.get_bind().dialect.name != "postgresql":
        return await first_delivery(session, platform=platform, event_id=event_id, at=at)
    first = await inbound_queue.first_delivery_and_finish(
        session, kept.turn_id, platform=platform, event_id=event_id, at=at
    )
    kept.deleted_in(session)
    return first


async def _done_within(future: asyncio.Future[Any], seconds: float) -> bool:
    """Whether `future` is done within `seconds`; it is left to finish either way. (What
    `asyncio.wait` does for one future, without its task and sets: a tenth of an
    acknowledgement's CPU.)"""
    if not future.done():
        loop = asyncio.get_running_loop()
        woken = loop.create_future()

        def wake(_: object = None) -> None:
            if not woken.done():
                woken.set_result(None)

        timer = loop.call_later(seconds, wake)
        future.add_done_callback(wake)
        try:
            await woken
        finally:
            timer.cancel()
            future.remove_done_callback(wake)
    return future.done()


@dataclass
class TurnOpening:
    """A turn's first-delivery check, which the platform's first read in the turn's
    transaction takes in on PostgreSQL (`read`: one statement records the delivery, forgets
    the kept one and reads who and where); `settle` says whether the delivery is new, checking
    it on its own if the read did not (SQLite, a turn the platform sends the long way)."""

    platform: str
    event_id: str | None
    at: dt.datetime
    # What the read records and forgets (PostgreSQL); None: `settle` checks it on its own.
    fold: FirstDelivery | None = None
    first: bool | None = None

    async def read(
        self,
        session: AsyncSession,
        user_id: str,
        *,
        conversation: str,
        tenant_id: str | None = None,
    ) -> TurnRead | None:
        """`turn_reads.read_turn`, with the first-delivery check when it can be taken in;
        None for nobody linked, and for a delivery seen before."""
        if self.fold is None or self.first is not None:
            return await read_turn(
                session, self.platform, user_id, conversation=conversation, tenant_id=tenant_id
            )
        self.first, found = await read_turn_once(
            session,
            self.platform,
            user_id,
            conversation=conversation,
            first=self.fold,
            tenant_id=tenant_id,
        )
        kept = RUNNING.get()
        if self.fold.turn_id is not None and kept is not None:
            kept.deleted_in(session)
        return found if self.first else None

    async def settle(self, session: AsyncSession) -> bool:
        """Whether the delivery is new (checked here unless the read took it in); True for a
        delivery with no key."""
        if self.event_id is None:
            return True
        if self.first is None:
            self.first = await first_delivery_of_turn(
                session, platform=self.platform, event_id=self.event_id, at=self.at
            )
        return self.first


def open_turn(
    session: AsyncSession, *, platform: str, event_id: str | None, at: dt.datetime
) -> TurnOpening:
    """A turn's first-delivery check, to be taken in by the platform's first read where the
    database allows (PostgreSQL), with the kept delivery this task runs."""
    opening = TurnOpening(platform, event_id, at)
    if event_id is not None and session.get_bind().dialect.name == "postgresql":
        kept = RUNNING.get()
        turn_id = kept.turn_id if kept is not None and not kept.forgotten else None
        opening.fold = FirstDelivery(platform, event_id, at, turn_id)
    return opening


async def _first_of(*events: asyncio.Event, at_most: float | None = None) -> None:
    """Wait until one of `events` is set, or `at_most` seconds; nothing is left waiting after."""
    waits = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, timeout=at_most, return_when="FIRST_COMPLETED")
    finally:
        for waiting in waits:
            waiting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiting


def holder_name(settings: Settings) -> str:
    """This process, as the queue names who holds a turn (a restarted process is a new one)."""
    return f"{settings.instance_name or socket.gethostname()}:{os.getpid()}"


class InboundQueue:
    """One platform's durable hand-off from acknowledgement to turn, and its worker."""

    def __init__(
        self,
        *,
        platform: str,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        work: Work,
    ) -> None:
        self.platform = platform
        self.sessions = sessions
        self.clock = clock
        self.work = work
        self.durable = settings.durable_inbound
        self.runs_turns = settings.serve_runs_turns
        self.lease = dt.timedelta(seconds=settings.inbound_lease_seconds)
        self.poll_seconds = settings.inbound_poll_seconds
        self.holder = holder_name(settings)
        self.handlers: dict[str, Handler] = {}
        self._wake = asyncio.Event()
        # Set while this worker listens for turns kept by other processes (PostgreSQL).
        self.listening = asyncio.Event()
        # Deliveries waiting to be kept, and the task keeping them (see `_keep`).
        self._to_keep: list[tuple[inbound_queue.Delivery, asyncio.Future[tuple[int, bool]]]] = []
        self._keeper: asyncio.Future[None] | None = None

    def handle(self, kind: str, handler: Handler) -> None:
        """How to run a turn of this kind, from its stored payload."""
        self.handlers[kind] = handler

    async def accept(self, kind: str, payload: dict[str, Any], *, sender: str | None) -> None:
        """Keep a verified delivery, before it is acknowledged; its turn runs afterwards.

        The acknowledgement waits for the row at most `KEEP_WITHIN` seconds: a database held
        by someone else must not make Slack (3 s) or Teams (15 s) give up on us. Past that the
        delivery is acknowledged anyway and kept (then run) once the database answers; until
        then only this process holds it, as before the queue existed."""
        handler = self.handlers[kind]
        if not self.durable:
            self.work.spawn(handler(payload), name=kind, key=sender)
            return
        keeping = self._keep(kind, payload, sender)
        if not await _done_within(keeping, KEEP_WITHIN):
            log.warning("%s: the database is slow; acknowledged before kept", self.platform)
            self.work.spawn(self._kept_late(keeping, kind, payload), name=kind, key=sender)
            return
        try:
            turn_id, ours = keeping.result()
        except DATABASE_UNREACHABLE:  # run it from memory: it will say the database is down
            log.warning("%s: could not keep a delivery; running it from memory", self.platform)
            self.work.spawn(handler(payload), name=kind, key=sender)
            return
        if ours:
            self._start(turn_id, kind, payload, sender)

    def _keep(
        self, kind: str, payload: dict[str, Any], sender: str | None
    ) -> asyncio.Future[tuple[int, bool]]:
        """Keep one delivery: with the others arriving at the same moment, in one INSERT and
        one commit (a group commit: under a rush one round trip keeps many deliveries). The
        future is the kept row's id, and whether this process holds it."""
        delivery = inbound_queue.Delivery(self.platform, kind, sender or "", payload)
        kept: asyncio.Future[tuple[int, bool]] = asyncio.get_running_loop().create_future()
        self._to_keep.append((delivery, kept))
        if self._keeper is None or self._keeper.done():
            self._keeper = asyncio.ensure_future(self._keep_waiting())
        return kept

    async def _keep_waiting(self) -> None:
        """Write what is waiting to be kept, a batch at a time, until nothing is."""
        while self._to_keep:
            batch, self._to_keep = self._to_keep, []
            try:
                # One statement committed by itself on PostgreSQL (SQLite: a transaction).
                async with single_statement(self.sessions) as session:
                    results = await inbound_queue.enqueue(
                        session,
                        [delivery for delivery, _ in batch],
                        at=self.clock.now(),
                        holder=self.holder if self.runs_turns else None,
                        lease=self.lease,
                    )
            except Exception as error:  # each waiting acknowledgement decides what to do
                for _, kept in batch:
                    if not kept.done():
                        kept.set_exception(error)
                continue
            for (_, kept), result in zip(batch, results, strict=True):
                if not kept.done():
                    kept.set_result(result)

    async def _kept_late(
        self, keeping: asyncio.Future[tuple[int, bool]], kind: str, payload: dict[str, Any]
    ) -> None:
        """A delivery acknowledged before it was kept: its turn, once it is."""
        try:
            turn_id, ours = await keeping
        except DATABASE_UNREACHABLE:
            log.warning("%s: could not keep a delivery; running it from memory", self.platform)
            await self.handlers[kind](payload)
            return
        if ours:
            await self._run_turn(turn_id, kind, payload)

    def _start(self, turn_id: int, kind: str, payload: dict[str, Any], sender: str | None) -> None:
        self.work.spawn(self._run_turn(turn_id, kind, payload), name=kind, key=sender or None)

    async def _run_turn(self, turn_id: int, kind: str, payload: dict[str, Any]) -> None:
        """Run one kept turn, then forget it (also when it failed: a bug is logged with a
        reference, as before, rather than run again and again)."""
        kept = KeptTurn(turn_id)
        RUNNING.set(kept)  # this task's own context (Work runs each turn in a task)
        try:
            await self.handlers[kind](payload)
        finally:
            try:
                if not kept.forgotten:  # the long way, a click, a failure: forgotten here
                    async with transaction(self.sessions) as session:
                        await kept.forget_in(session)
            except DATABASE_UNREACHABLE:  # kept: run again after the lease, dropped as seen
                log.warning("%s: could not forget turn %s", self.platform, turn_id)
            self._wake.set()  # the sender's next turn may be waiting for this one

    async def run(self, stop: asyncio.Event) -> None:
        """The worker: claim the turns nobody holds and run them, until `stop` is set."""
        listening = asyncio.ensure_future(self._listen(stop))
        try:
            await self._claim_until(stop)
        finally:
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening

    async def _listen(self, stop: asyncio.Event) -> None:
        """On PostgreSQL, wake the worker as soon as a turn is kept for it (the poll remains
        the safety net); listen again after a lost connection, looking once meanwhile."""
        engine = self.sessions.kw.get("bind")
        if not isinstance(engine, AsyncEngine) or engine.dialect.name != "postgresql":
            return

        def woken(platforms: str) -> None:
            if self.platform in platforms.split(","):
                self._wake.set()

        while not stop.is_set():
            try:
                async with inbound_queue.listen_for_new_turns(engine, woken) as lost:
                    self.listening.set()
                    self._wake.set()  # whatever was kept before we listened
                    if lost is None:
                        return
                    await _first_of(lost, stop)
            except Exception as error:  # the database is away, or the connection dropped
                log.warning(
                    "%s: worker can't listen for turns (%s); looking every %s s meanwhile",
                    self.platform,
                    type(error).__name__,
                    self.poll_seconds,
                )
            self.listening.clear()
            await _first_of(stop, at_most=self.poll_seconds * 10)

    async def _claim_until(self, stop: asyncio.Event) -> None:
        renewed = self.clock.now()
        while not stop.is_set():
            self._wake.clear()
            try:
                await self._claim_some()
                now = self.clock.now()
                if now - renewed > self.lease / 3:
                    async with transaction(self.sessions) as session:
                        await inbound_queue.renew(
                            session, holder=self.holder, at=now, lease=self.lease
                        )
                    renewed = now
            except DATABASE_UNREACHABLE as error:
                log.warning("%s: worker can't reach the database (%s)", self.platform, error)
            await _first_of(self._wake, stop, at_most=self.poll_seconds)

    async def _claim_some(self) -> None:
        free = DEFAULT_LIMIT - self.work.pending
        if free <= 0:
            return
        async with transaction(self.sessions) as session:
            claimed = await inbound_queue.claim(
                session,
                platform=self.platform,
                holder=self.holder,
                at=self.clock.now(),
                lease=self.lease,
                limit=free,
            )
            turns = [(t.id, t.kind, t.payload, t.sender, t.attempts) for t in claimed]
            for turn_id, kind, _, _, attempts in turns:
                if attempts > MAX_ATTEMPTS or kind not in self.handlers:
                    log.error(
                        "%s: dropped turn %s (%s, tried %s times)",
                        self.platform,
                        turn_id,
                        kind,
                        attempts,
                    )
                    await inbound_queue.finish(session, turn_id)
        for turn_id, kind, payload, sender, attempts in turns:
            if attempts <= MAX_ATTEMPTS and kind in self.handlers:
                self._start(turn_id, kind, payload, sender)
