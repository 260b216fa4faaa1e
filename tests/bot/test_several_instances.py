"""Several instances behind one address (issue 7): three real `apbot serve` processes share one
PostgreSQL database behind HAProxy, run with the production config (deploy/haproxy/). A
provider reports an absence in Slack, and each of their answers lands on a different instance
than the one before: the dialog carries on as if there were one bot, and the absence is stored
once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from storage.clock import SystemClock, london_today
from storage.models import AttendanceRecord, DialogState, OutboxMessage, WelfareCall
from tests.support.database import TEST_KEY, Database
from tests.support.factories import build_world, place
from tests.support.instances import (
    RemoteSlack,
    WatchedSlackApi,
    report_absence_in_slack,
    several_instances,
)
from tests.support.load_balancer import require_haproxy

PROVIDER = "UPROVIDER"


def _last_weekday(today: dt.date) -> dt.date:
    while today.weekday() >= 5:
        today -= dt.timedelta(days=1)
    return today


async def test_a_dialog_carries_on_whichever_instance_gets_each_answer(
    db: Database, clock, tmp_path: Path
) -> None:
    if db.backend != "postgres":
        pytest.skip("several instances share PostgreSQL; SQLite runs one instance")
    require_haproxy()
    world = await build_world(db, clock)
    today = london_today(SystemClock())  # the instances run on the real clock
    day = _last_weekday(today)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=today - dt.timedelta(days=7),
        )

    async with WatchedSlackApi() as api:
        api.add_user(PROVIDER, email=world.provider_staff.email)
        async with (
            several_instances(
                3,
                database_url=db.url,
                slack_api_url=api.api_url,
                encryption_key=TEST_KEY,
                folder=tmp_path,
            ) as cluster,
            aiohttp.ClientSession() as http,
        ):
            slack = RemoteSlack(api=api, base_url=cluster.url, session=http)
            try:
                report = await report_absence_in_slack(
                    slack, api, user=PROVIDER, reference=placement.reference, day=day
                )
            except Exception as error:
                raise AssertionError(f"{error}\n{cluster.logs()}") from error

    # Every answer was acknowledged, each by a different instance than the one before.
    assert slack.statuses == {200: 6}
    assert all(a != b for a, b in zip(slack.served, slack.served[1:], strict=False))
    assert set(slack.served) == set(cluster.names)
    # The provider saw each question in order, then the confirmation; every answered
    # question lost its buttons, whichever instance asked it and whichever closed it.
    assert report.questions == ["date", "sessions", "reason", "code", "confirm", None]
    assert f"({placement.reference}) absent on" in report.confirmation
    assert "designated safeguarding lead has been alerted" in report.confirmation
    updated = {call.args.get("ts") for call in api.calls_to("chat.update")}
    assert {step.reply.ts for step in report.steps[:-1]} <= updated
    # Stored once: one absence (AM), one welfare call, the DSL alerted once, no dialog left open.
    async with db.sessions() as session:
        records = list(
            await session.scalars(
                select(AttendanceRecord).where(AttendanceRecord.placement_id == placement.id)
            )
        )
        calls = await session.scalar(select(func.count()).select_from(WelfareCall))
        alerts = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "absence_alert")
            )
        )
        open_dialogs = await session.scalar(select(func.count()).select_from(DialogState))
    # I is the school's to set: the provider's choice is kept as a proposal, the session N.
    assert [(r.date, r.session.value, r.code, r.proposed_code, r.reason) for r in records] == [
        (day, "AM", "N", "I", "Unwell; parent rang at 08:40")
    ]
    assert calls == 1 and open_dialogs == 0
    assert [a.recipient_id for a in alerts] == [world.dsl.id]
