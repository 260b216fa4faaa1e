"""Morning rush (issue 7): providers report absences through Slack, all at once, to several bot
instances behind one address sharing one PostgreSQL database. None may be lost or stored twice,
and every school's safeguarding lead must be alerted.

    .venv/bin/python -m benchmarks.morning_rush [--size small|full] [--instances N] [--workers N]
        [--postgres URL]

`full`: 10,000 absence reports arriving within 10 minutes; `small`: 1,000 within 1 minute. A
scratch database (`apsg_bench_rush_*`) is created on the PostgreSQL server and dropped at the
end, filled with a synthetic world (rush_world.py: one active placement per report; providers'
office staff, each reporting about five pupils one after another). Then N real `apbot serve`
processes start behind HAProxy run with the production config (deploy/haproxy/haproxy.cfg;
tests/support/instances.py; Debian's `haproxy` package must be installed), with the Slack Web API
played by tests/fakes/slack_api.py in this process, and each report is the real absence dialog as a person
drives it in Slack: `/ap absent AP-XXXX` (a signed slash command), the day from the date picker
(a block action), `AM` and the reason typed in the DM (Events API messages), the code from the
menu and Save clicked (block actions); each answer sent once the bot has asked for it. Reports
begin at random moments spread over the window (a person already in a dialog finishes it first).

It prints the acknowledgement latency (each HTTP answer, through the balancer), the reply
latency (from an answer sent to the bot's next question arriving at Slack) and a whole report,
first with one report at a time (quiet: a few reports about the previous school day), then in
the rush; when the last report was confirmed, against the window; the CPU time the instances
and the balancer spent per report, next to a baseline measured in the same run: the same
reports (about the school day before) stored by calling the service (`report_absence`)
directly in this process. Then PASS/FAIL: from the database, none lost, none
duplicated, every DSL alert and welfare-call task queued; and what the instances logged at
WARNING and above. It never fails on slowness; the exit code is 1 when a check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import random
import re
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarks.common import admin_execute, percentile
from benchmarks.rush_checks import Check, check_rush
from benchmarks.rush_world import Report, World, build_rush_world
from storage import crypto
from storage.clock import SystemClock, london_today
from storage.db import create_engine, normalise_url, session_factory, transaction
from storage.migrate import upgrade_async
from storage.models import RegisterSession
from storage.services.attendance import report_absence
from storage.services.audit import Change
from storage.services.identity_links import person_by_chat_id
from storage.services.placements import find_by_reference
from tests.support.instances import (
    DialogStuck,
    RemoteSlack,
    Step,
    WatchedSlackApi,
    report_absence_in_slack,
    several_instances,
)
from tests.support.load_balancer import HaproxyMissing, haproxy_binary


@dataclass(frozen=True)
class Size:
    reports: int
    window: float  # seconds over which the reports begin


SIZES = {"small": Size(1_000, 60.0), "full": Size(10_000, 600.0)}
QUIET = 12  # reports one at a time before the rush (the first WARM_UP not counted)
WARM_UP = 2
# Seconds a person waits for the bot's next question before giving up (then the report counts as
# lost). Long: under a backlog a slow answer is a figure to print, not a lost report.
PATIENCE = 600.0
DIRECT_AT_ONCE = 10  # the baseline's transactions at once (the bot's work runs ten at once)
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
REASON = "Unwell; parent rang at 08:40"


@dataclass
class Outcome:
    """One report in the rush: when it was due to begin, and what happened."""

    report: Report
    scheduled: float  # seconds into the window
    started: float = 0.0
    finished: float = 0.0
    steps: list[Step] = field(default_factory=list)
    error: str | None = None

    @property
    def last_sent(self) -> float:
        """When the last answer (Save) was sent."""
        return self.finished - (self.steps[-1].reply_ms / 1000 if self.steps else 0.0)


def _weekday_before(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / os.sysconf("SC_CLK_TCK")


# ----- the rush ---------------------------------------------------------------------------


async def one_report(
    slack: RemoteSlack, api: WatchedSlackApi, outcome: Outcome, day: dt.date, t0: float
) -> None:
    loop = asyncio.get_running_loop()
    outcome.started = loop.time() - t0
    report = outcome.report
    try:
        done = await report_absence_in_slack(
            slack, api, user=report.user, reference=report.reference, day=day, within=PATIENCE
        )
        outcome.steps = done.steps
    except DialogStuck as error:
        outcome.error = str(error)
        # As a person would before the next pupil: cancel, and wait for the bot to say so (the
        # next request may reach another instance; sent at once, the two could race).
        channel = f"D{report.user}"
        seen = api.count_in(channel)
        await slack.dm(report.user, "cancel")
        with contextlib.suppress(TimeoutError):
            await api.post_after(channel, seen, within=PATIENCE)
    outcome.finished = loop.time() - t0
    api.forget(f"D{report.user}")


async def rush(
    slack: RemoteSlack, api: WatchedSlackApi, world: World, day: dt.date, size: Size, seed: int
) -> list[Outcome]:
    """Every report, each beginning at its moment in the window."""
    rng = random.Random(seed)
    order = list(world.reports)
    rng.shuffle(order)
    moments = sorted(rng.uniform(0, size.window) for _ in order)
    outcomes = [Outcome(report, moment) for report, moment in zip(order, moments, strict=True)]
    by_person: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_person[outcome.report.user].append(outcome)
    loop = asyncio.get_running_loop()
    t0 = loop.time()

    async def person(mine: list[Outcome]) -> None:
        for outcome in mine:
            wait = t0 + outcome.scheduled - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)  # the arrival schedule of an open-loop load
            await one_report(slack, api, outcome, day, t0)

    async def progress() -> None:
        while True:
            await asyncio.sleep(max(10.0, size.window / 20))
            begun = sum(1 for o in outcomes if o.started)
            done = sum(1 for o in outcomes if o.finished)
            failed = sum(1 for o in outcomes if o.error)
            print(
                f"  {loop.time() - t0:5.0f} s: {begun:,} begun, {done:,} confirmed or given up "
                f"({failed} given up), {len(slack.acks_ms):,} requests",
                flush=True,
            )
            api.calls.clear()  # counted in api.answered; a long run keeps memory flat

    reporter = asyncio.create_task(progress())
    try:
        await asyncio.gather(*(person(mine) for mine in by_person.values()))
    finally:
        reporter.cancel()
    return outcomes


# ----- the baseline: the same reports, by the service directly ----------------------------


async def direct_reports(
    sessions: async_sessionmaker[AsyncSession], world: World, day: dt.date
) -> tuple[list[float], float, float]:
    """Each report stored by `report_absence` in its own transaction, DIRECT_AT_ONCE at a
    time: latencies (ms), wall seconds, CPU seconds of this process."""
    queue = iter(world.reports)
    latencies: list[float] = []

    async def worker() -> None:
        for report in queue:
            started = time.perf_counter()
            async with transaction(sessions) as session:
                person = await person_by_chat_id(session, "slack", report.user)
                placement = await find_by_reference(session, report.reference)
                assert person is not None and placement is not None
                change = Change(person.id, "benchmark", dt.datetime.now(dt.UTC))
                await report_absence(
                    session, change, placement=placement, date=day, sessions=[RegisterSession.am],
                    code="I", reason=REASON,
                )  # fmt: skip
            latencies.append((time.perf_counter() - started) * 1000)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(DIRECT_AT_ONCE)))
    return latencies, time.perf_counter() - wall, time.process_time() - cpu


# ----- what the instances logged ----------------------------------------------------------

BENIGN = ("As you gave `client` as well, `token` will be unused",)
LEVEL = re.compile(r" (WARNING|ERROR|CRITICAL) |\[(WARNING|ALERT)\]")  # Python's, HAProxy's
REF = re.compile(r"\b(ref [0-9A-F]{6}|[0-9a-f]{8,}|\d+)\b")


def logged_problems(folder: Path) -> Counter[str]:
    """Lines logged at WARNING and above by the instances and HAProxy, by message."""
    found: Counter[str] = Counter()
    for log in sorted(folder.glob("*.log")):
        for line in log.read_text(errors="replace").splitlines():
            level = LEVEL.search(line)
            if level and not any(b in line for b in BENIGN):
                message = REF.sub("#", line[level.start() :].strip())[:140]
                found[f"{log.stem}: {message}"] += 1
    return found


# ----- the run ----------------------------------------------------------------------------


def _ms(values: list[float]) -> str:
    return f"{percentile(values, 50):,.0f} / {percentile(values, 99):,.0f} / {max(values, default=0):,.0f}"


def print_results(
    *,
    size: Size,
    instances: int,
    world: World,
    built: float,
    quiet: tuple[list[float], list[Step]],
    loud: tuple[RemoteSlack, list[Outcome]],
    cpu: float,
    direct: tuple[list[float], float, float],
    checks: list[Check],
    problems: Counter[str],
) -> None:
    quiet_acks, quiet_steps = quiet
    slack, outcomes = loud
    direct_ms, direct_wall, direct_cpu = direct
    steps = [s for o in outcomes for s in o.steps]
    whole = [sum(s.reply_ms for s in o.steps) for o in outcomes if not o.error]
    quiet_whole = [
        sum(s.reply_ms for s in quiet_steps[i : i + 6]) for i in range(0, len(quiet_steps), 6)
    ]
    sent = sum(slack.statuses.values())
    print(
        f"\nMorning rush: {len(outcomes):,} absence reports through Slack within "
        f"{size.window:.0f} s; {instances} instances behind HAProxy; PostgreSQL"
    )
    print(
        f"{os.cpu_count()} CPUs (shared with the load generator, the fake Slack and PostgreSQL); "
        f"Python {sys.version.split()[0]}"
    )
    print(
        f"World: {world.schools:,} schools ({world.leads_per_report} DSLs each), "
        f"{world.providers:,} providers ({world.staff_per_provider} office staff each), "
        f"{len(world.reports):,} placements; built in {built:.0f} s\n"
    )
    head, width = 34, 28
    print(f"{'ms: p50 / p99 / max':<{head}}{'quiet (one at a time)':>{width}}{'rush':>{width}}")
    print("-" * (head + 2 * width))
    rows = [
        ("ack (HTTP answer via balancer)", quiet_acks, slack.acks_ms),
        ("reply (answer -> next question)", [s.reply_ms for s in quiet_steps], [s.reply_ms for s in steps]),
        ("whole report (6 requests)", quiet_whole, whole),
    ]  # fmt: skip
    for name, calm, busy in rows:
        print(f"{name:<{head}}{_ms(calm):>{width}}{_ms(busy):>{width}}")
    others = {k: v for k, v in slack.statuses.items() if k != 200}
    print(
        f"\nRequests: {sent:,} ({slack.statuses.get(200, 0):,} answered 200; others: "
        f"{others or 'none'}); served by "
        + ", ".join(f"{b} {n:,}" for b, n in sorted(Counter(slack.served).items()))
    )
    confirmed = [o for o in outcomes if not o.error] or outcomes
    last_sent = max(o.last_sent for o in confirmed)
    last_done = max(o.finished for o in confirmed)
    behind = max(o.started - o.scheduled for o in outcomes)
    rate = len(confirmed) / last_done
    print(
        f"Every report confirmed {last_done:.0f} s after the first began (the window: "
        f"{size.window:.0f} s): {rate:.1f} reports/s confirmed, {len(outcomes) / size.window:.1f}/s "
        f"arriving; the last Save was answered {last_done - last_sent:.2f} s after it was sent."
    )
    print(f"Latest start behind schedule (the same person still in a dialog): {behind:.0f} s.")
    per_report = cpu / len(outcomes) * 1000
    direct_per_report = direct_cpu / len(world.reports) * 1000
    direct_rate = len(world.reports) / direct_wall
    print(
        f"\nBaseline: the same {len(world.reports):,} reports by report_absence in this process, "
        f"{DIRECT_AT_ONCE} at once: {direct_rate:,.0f} reports/s, {_ms(direct_ms)} ms each "
        "(p50 / p99 / max)."
    )
    print(
        f"Chat path against the baseline: {per_report:.0f} ms against {direct_per_report:.1f} ms "
        f"of CPU per report ({per_report / direct_per_report:.1f}x: the instances and the balancer "
        f"against this process; PostgreSQL's own not counted); {rate:.1f} against "
        f"{direct_rate:,.0f} reports/s ({direct_rate / rate:.0f}x)."
    )
    failed = [o for o in outcomes if o.error]
    if failed:
        print(f"\n{len(failed)} reports given up; the first: {failed[0].error}")
    print()
    for check in checks:
        print(f"{'PASS' if check.passed else 'FAIL'} {check.line}")
    print(f"\nLogged at WARNING or above: {sum(problems.values())} lines.")
    for message, count in problems.most_common(8):
        print(f"  {count:>6} x {message}")


async def run(
    size: Size, instances: int, postgres: str, seed: int, logs: Path | None, workers: int = 0
) -> bool:
    key = Fernet.generate_key().decode()
    crypto.configure([key])
    scratch = f"apsg_bench_rush_{uuid.uuid4().hex[:10]}"
    await admin_execute(postgres, f'CREATE DATABASE "{scratch}"')
    url = (
        make_url(normalise_url(postgres))
        .set(database=scratch)
        .render_as_string(hide_password=False)
    )
    engine = create_engine(url)
    try:
        await upgrade_async(url)
        sessions = session_factory(engine)
        day = london_today(SystemClock())
        day = day if day.weekday() < 5 else _weekday_before(day)
        quiet_day = _weekday_before(day)
        direct_day = _weekday_before(quiet_day)
        started = time.perf_counter()
        print(f"Building {size.reports:,} placements in {scratch} ...", flush=True)
        world = await build_rush_world(
            sessions,
            placements=size.reports,
            start=day - dt.timedelta(days=13),
            at=dt.datetime.now(dt.UTC),
        )
        built = time.perf_counter() - started
        connector = aiohttp.TCPConnector(limit=0)
        with tempfile.TemporaryDirectory(prefix="apsg-rush-") as scratch_folder:
            folder = logs or Path(scratch_folder)
            folder.mkdir(parents=True, exist_ok=True)
            async with WatchedSlackApi() as api, aiohttp.ClientSession(connector=connector) as http:
                for user, email in world.staff.items():
                    api.add_user(user, email=email)
                async with several_instances(
                    instances,
                    database_url=url,
                    slack_api_url=api.api_url,
                    encryption_key=key,
                    folder=folder,
                    log_level="WARNING",
                    workers=workers,
                ) as cluster:
                    print(
                        f"{instances} instances ({workers or 'no'} separate workers) and the"
                        f" balancer are up; {QUIET} quiet reports ...",
                        flush=True,
                    )
                    # One workspace throughout: its event ids never repeat (Slack's retries
                    # are recognised by them).
                    slack = RemoteSlack(api=api, base_url=cluster.url, session=http)
                    quiet_steps: list[Step] = []
                    for n, report in enumerate(world.reports[:QUIET]):
                        done = await report_absence_in_slack(
                            slack, api, user=report.user, reference=report.reference,
                            day=quiet_day, within=PATIENCE,
                        )  # fmt: skip
                        if n >= WARM_UP:
                            quiet_steps += done.steps
                    quiet_acks = slack.acks_ms[WARM_UP * 6 :]
                    slack.acks_ms, slack.served, slack.statuses = [], [], Counter()
                    print(
                        f"The rush: {size.reports:,} reports within {size.window:.0f} s ...",
                        flush=True,
                    )
                    cpu = cpu_seconds(cluster.pids)
                    outcomes = await rush(slack, api, world, day, size, seed)
                    cpu = cpu_seconds(cluster.pids) - cpu
                problems = logged_problems(folder)  # the instances have stopped
        checks = await check_rush(sessions, world, day=day, sent=len(outcomes))
        print("Baseline: the same reports by the service directly ...", flush=True)
        direct = await direct_reports(sessions, world, direct_day)
    finally:
        await engine.dispose()
        await admin_execute(postgres, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    print_results(
        size=size,
        instances=instances,
        world=world,
        built=built,
        quiet=(quiet_acks, quiet_steps),
        loud=(slack, outcomes),
        cpu=cpu,
        direct=direct,
        checks=checks,
        problems=problems,
    )
    return all(check.passed for check in checks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Morning-rush benchmark (issue 7).")
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--instances", type=int, default=2, help="apbot serve processes (2)")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="apbot worker processes running the turns, the web processes then only"
        " acknowledging (0: each apbot serve runs its own)",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=DEFAULT_POSTGRES,
        help=f"the PostgreSQL server to make a scratch database on ({DEFAULT_POSTGRES})",
    )
    parser.add_argument("--seed", type=int, default=7, help="for the arrival times")
    parser.add_argument(
        "--logs", type=Path, metavar="DIR", help="keep the instances' logs here (default: not kept)"
    )
    parser.add_argument("--reports", type=int, help="instead of the size's (for a quick try)")
    parser.add_argument("--window", type=float, help="seconds, instead of the size's")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    size = Size(args.reports or size.reports, args.window or size.window)
    try:
        haproxy_binary()
    except HaproxyMissing as error:
        print(f"{error}: the instances run behind it, as in production.", file=sys.stderr)
        return 2
    passed = asyncio.run(
        run(size, args.instances, args.postgres, args.seed, args.logs, args.workers)
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
