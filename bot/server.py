"""The one aiohttp server: `/healthz` (database and encryption key), `/`, and the channels'
routes: Slack's `POST /slack/events` and Teams' `POST /api/messages`, each mounted only when
configured (otherwise a log line says it is off). `apbot serve` runs it with the scheduler."""

from __future__ import annotations

import gc
import logging

from aiohttp import abc as web_log
from aiohttp import web
from sqlalchemy import text

from bot.channels.inbound import InboundQueue
from bot.channels.slack.app import SLACK, mount_slack
from bot.channels.teams.routes import TEAMS
from bot.channels.teams.routes import mount as mount_teams
from bot.runtime import Runtime
from storage.services.encryption import key_opens_data

log = logging.getLogger(__name__)

RUNTIME = web.AppKey("runtime", Runtime)


async def healthz(request: web.Request) -> web.Response:
    """200 with the database status when all is well; 503 with a plain reason when the
    database does not answer or the encryption key does not open what it holds."""
    runtime = request.app[RUNTIME]
    try:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        async with runtime.sessions() as session:
            key_ok = await key_opens_data(session)
    except Exception as error:  # any failure to answer means unhealthy
        log.warning("health check: database unavailable: %s", type(error).__name__)
        return web.json_response(
            {
                "status": "unhealthy",
                "database": "unavailable",
                "reason": "The database does not answer.",
            },
            status=503,
        )
    if not key_ok:
        log.warning("health check: the encryption key does not open the stored data")
        return web.json_response(
            {
                "status": "unhealthy",
                "database": "ok",
                "encryption": "wrong key",
                "reason": "The encryption key does not decrypt the stored data.",
            },
            status=503,
        )
    return web.json_response(
        {
            "status": "ok",
            "database": "ok",
            "encryption": "ok",
            "backend": runtime.engine.dialect.name,
        }
    )


async def index(request: web.Request) -> web.Response:
    return web.Response(
        text="AP Safeguard is running. Health: /healthz. Talk to it in Slack, Teams, or `make chat`.\n"
    )


def freeze_what_startup_made() -> None:
    """Take what the process made while starting (modules, SQLAlchemy's mappers, the app, its
    clients) out of the garbage collector's sight (`gc.freeze`): it lives as long as the
    process, yet every full collection walked it all (about 150,000 objects, some 80 ms with
    the event loop stopped), and under a rush the requests' survivors trigger full collections
    often. Called by `apbot serve` and `apbot worker` once the app is set up (not by tests,
    which build many apps in one process: what is frozen is never freed); what requests make
    is collected as before."""
    gc.collect()
    gc.freeze()


def build_app(runtime: Runtime) -> web.Application:
    """The aiohttp application with every route."""
    app = web.Application()
    app[RUNTIME] = runtime
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/", index)
    mount_slack(app, runtime)  # POST /slack/events, or a log line saying Slack is off
    mount_teams(
        app, runtime
    )  # POST /api/messages when configured, or a log line saying Teams is off
    return app


def turn_queues(app: web.Application) -> list[InboundQueue]:
    """The inbound queue of each channel served (Slack, Teams), for a worker to run."""
    queues = []
    if SLACK in app:
        queues.append(app[SLACK].inbound)
    if TEAMS in app:
        queues.append(app[TEAMS].inbound)
    return queues


class PathOnlyAccessLog(web_log.AbstractAccessLogger):
    """The access log without query strings: Slack's OAuth callback carries a one-time code
    and a state in its query (`/slack/oauth_redirect?code=...&state=...`), and nothing in a
    query belongs in a log file. Method, path, status, size and time only."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %s %.3fs',
            request.remote,
            request.method,
            request.path,
            response.status,
            response.body_length,
            time,
        )
