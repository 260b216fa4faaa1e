"""Running the scheduler inside `apbot serve`: which channels deliver, and the background loop
(a pass every minute) that starts with the server and stops with it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket

from aiohttp import web

from bot.delivery import Deliverer
from bot.runtime import Runtime
from bot.scheduler.log_delivery import LogDeliverer
from bot.scheduler.scheduler import Scheduler
from storage.db import is_sqlite, normalise_url
from storage.files import ExportSweep
from storage.rules.nudges import NudgeTimes


def instance_name(runtime: Runtime) -> str:
    """This instance's name in the outbox's `claimed_by` (the host and process id by default)."""
    return runtime.settings.instance_name or f"{socket.gethostname()}:{os.getpid()}"


def deliverers_for(app: web.Application, runtime: Runtime) -> list[Deliverer]:
    """Slack, then Teams, as mounted on the server. The log channel only when no chat platform
    is set up (the demo, `make run`): with Slack or Teams on, a person they cannot reach is
    retried and then parked for an admin to see, never quietly written to a log instead."""
    from bot.channels.slack.app import SLACK
    from bot.channels.slack.delivery import SlackDeliverer
    from bot.channels.teams.deliverer import TeamsDeliverer
    from bot.channels.teams.routes import TEAMS

    found: list[Deliverer] = []
    if SLACK in app:
        found.append(SlackDeliverer(app[SLACK].base_client, app[SLACK].installations))
    if TEAMS in app:
        found.append(TeamsDeliverer(app[TEAMS].adapter, runtime.sessions))
    if SLACK not in app and not runtime.settings.microsoft_app_id:
        found.append(LogDeliverer())
    return found


def scheduler_for(runtime: Runtime, deliverers: list[Deliverer]) -> Scheduler:
    """A scheduler with the configured times."""
    settings = runtime.settings
    return Scheduler(
        runtime.sessions,
        runtime.clock,
        deliverers,
        times=NudgeTimes(
            reminders=settings.reminder_time,
            register_prompt=settings.register_prompt_time,
            digest=settings.digest_time,
        ),
        instance=instance_name(runtime),
        exports=export_sweep(runtime),
        audit_check=settings.audit_check_time,
        prepare_at=settings.reminder_prepare_at,
        # Several workers share PostgreSQL, and the day's reminders with it; SQLite has one.
        sweep_parts=(
            1 if is_sqlite(normalise_url(settings.database_url)) else settings.reminder_sweep_parts
        ),
    )


def export_sweep(runtime: Runtime) -> ExportSweep:
    """The terminal's exports, removed after EXPORTS_KEEP_HOURS."""
    settings = runtime.settings
    return ExportSweep.from_hours(settings.reports_dir, settings.exports_keep_hours)


class BackgroundScheduler:
    """The scheduler's loop as a task: `start()` with the server, `stop()` to end it."""

    def __init__(self, scheduler: Scheduler, *, every: float = 60.0) -> None:
        self.scheduler = scheduler
        self.every = every
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin passes in the background (the first at once)."""
        if self._task is None:
            self._task = asyncio.create_task(
                self.scheduler.run_forever(self._stop, every=self.every)
            )

    async def stop(self) -> None:
        """Finish the pass under way, then stop."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def start_scheduler(app: web.Application, runtime: Runtime) -> BackgroundScheduler | None:
    """Start the background scheduler for `apbot serve` (None when SCHEDULER_ENABLED=false)."""
    if not runtime.settings.scheduler_enabled:
        return None
    background = BackgroundScheduler(
        scheduler_for(runtime, deliverers_for(app, runtime)),
        every=runtime.settings.scheduler_interval_seconds,
    )
    background.start()
    return background
