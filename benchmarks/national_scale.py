"""National scale (issue 7): the scheduler and the DSL digests on a synthetic England in
PostgreSQL, next to the same with ten times fewer placements, measured in the same run.

    .venv/bin/python -m benchmarks.national_scale [--size small|full] [--postgres URL] [--plans]

`full` is the issue's England: 150 LAs, 20,000 schools (a DSL each), 3,000 providers, 60,000
active placements (and 12,000 ended), 3 million attendance rows, a year of QA visits and weekly
contacts (see national_data.py). `small` is a tenth of that. Each size is compared with a tenth
of itself. For each, a scratch database `apsg_bench_national_*` is created on the server,
migrated, filled, measured by a child process (so its peak memory is the bot's alone) and
dropped.

The child plays Tuesday 2 March 2027 (London): at 06:00 it prepares the day's reminders
(REMINDER_PREPARE_AT: written ahead, held; timed as its own line, for the work is moved, not
removed); at 07:00 it makes `CHANGES` realistic changes through the services (checks ticked,
visits and contacts logged, a few hundred placements touched; untimed); at 08:00 it queues
every digest (each built for its DSL or LA officer), then runs a scheduler pass; it sends them
through a channel that only counts; at 08:30 (the day's reminders: the preparation reconciled
with what changed), 08:31, 09:45 (after the register deadlines) and 09:46 it runs a pass and
times it; then sends the nudges. With `--no-prepare` nothing is prepared and 08:30 sweeps the
day whole (as before preparation), after the same changes. With `--compare`, reminders only
(no digests, no sending): one filled database, copied four times, the 08:30 pass swept whole
and prepared, alternated. It prints EXPLAIN ANALYZE of the
slowest queries of the 09:45 pass and of the digests, with the indexes they use.

With `--sweepers N`, the 08:30 pass is run by N processes at once instead (each its own
engine and instance, as N instances running the scheduler on PostgreSQL; the day's
reminders in `SHARED_PARTS` (4) parts, shared between them): its wall time is from the
first one's start to the last one's finish, its CPU the sum of theirs (each is started and
connected first, then all are told to go).

Targets: a scheduler pass under 2 s; all the digests under 60 s; peak memory under 300 MB.
The script prints whether each was met; it never fails on slowness. Beside each time it prints
the CPU time the bot's process spent (on a shared machine the wall time also counts waiting
for a CPU; PostgreSQL's own CPU is not in it).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import re
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url

from benchmarks.national_data import BENCH_KEY, TODAY, Scale, generate
from bot.delivery import Notice, Recipient
from bot.scheduler.scheduler import Scheduler
from storage import crypto
from storage.clock import LONDON, FixedClock
from storage.db import create_engine, normalise_url, session_factory
from storage.migrate import upgrade
from storage.models import (
    ChecklistItem,
    ChecklistStatus,
    ContactMethod,
    Placement,
    PlacementStatus,
    QaRating,
    ReminderPreparation,
)
from storage.rules.nudges import NudgeTimes
from storage.services.audit import Change
from storage.services.contacts import log_contact
from storage.services.digest_queue import queue_digests
from storage.services.nudge_facts import gather_facts
from storage.services.placements import update_checklist_item
from storage.services.reminder_sweeps import SHARED_PARTS, prepare_day_reminders
from storage.services.visits import log_visit

SIZES = {"small": 0.1, "full": 1.0}
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PASS_TARGET_S = 2.0
DIGESTS_TARGET_S = 60.0
RSS_TARGET_MB = 300.0
# Placements touched between the preparation and 08:30 (a morning's work before the reminders):
# half an overdue check ticked, a quarter a contact logged, a quarter a QA visit logged.
CHANGES = 300
PREPARE_AT = dt.time(6, 0)
BIG_TABLES = {"placements", "attendance", "checklist_items", "contacts", "qa_visits", "outbox",
              "chronology", "pupils", "people", "welfare_calls"}  # fmt: skip


# ----- the measured child -------------------------------------------------------------------


class CountingDeliverer:
    """A channel that reaches everyone, sends nothing and counts (no rate limit: 'bench')."""

    platform = "bench"

    def __init__(self) -> None:
        self.sent = 0

    async def can_reach(self, recipient: Recipient) -> bool:
        return True

    async def send(self, notice: Notice) -> None:
        self.sent += 1


@dataclass
class Statements:
    """Every statement run while `label` is set: time, calls and one sample to EXPLAIN."""

    label: str | None = None
    seen: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def attach(self, engine: Any) -> None:
        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            context._bench_started = time.perf_counter()

        @event.listens_for(engine.sync_engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            if self.label is None:
                return
            shape = re.sub(r"\$\d+(, \$\d+)*", "$n", statement)
            entry = self.seen.setdefault(
                (self.label, shape),
                {"statement": statement, "parameters": parameters, "seconds": 0.0, "calls": 0},
            )
            entry["seconds"] += time.perf_counter() - context._bench_started
            entry["calls"] += 1

    def slowest(self, label: str, n: int) -> list[dict[str, Any]]:
        found = [
            entry
            for (lab, _), entry in self.seen.items()
            if lab == label and entry["statement"].lstrip().upper().startswith("SELECT")
        ]
        return sorted(found, key=lambda e: -e["seconds"])[:n]


async def _timed(work: Callable[[], Awaitable[Any]], out: dict[str, Any], key: str) -> Any:
    """Run `work`; its wall time in `out[key]`, and the CPU time this process spent on it in
    `out[key + "_cpu"]` (on a shared machine the wall time also counts waiting for a CPU).
    Each figure is also written to stderr as it is measured (the parent shows it: a long run
    on a loaded machine says what it has so far)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = await work()
    out[key] = time.perf_counter() - started
    out[key + "_cpu"] = time.process_time() - cpu
    print(f"    {key}: {out[key]:.2f} s wall, {out[key + '_cpu']:.2f} s CPU", file=sys.stderr,
          flush=True)  # fmt: skip
    return result


INDEX_SCAN = re.compile(
    r"(?:Index Scan|Index Only Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)"
)
SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")


def _plan_summary(plan: list[str]) -> dict[str, Any]:
    lines = "\n".join(plan)
    took = next((line.strip() for line in plan if "Execution Time" in line), "")
    return {
        "indexes": sorted(set(INDEX_SCAN.findall(lines))),
        "seq_scans": sorted(set(SEQ_SCAN.findall(lines))),
        "execution": took,
    }


async def _explain(engine: Any, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    plans = []
    async with engine.connect() as connection:
        for entry in entries:
            transaction = await connection.begin()
            rows = await connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, FORMAT TEXT) " + entry["statement"], entry["parameters"]
            )
            plan = [row[0] for row in rows]
            await transaction.rollback()
            first = " ".join(entry["statement"].split())[:160]
            plans.append({"query": first, "seconds": entry["seconds"], "calls": entry["calls"],
                          "plan": plan, **_plan_summary(plan)})  # fmt: skip
    return plans


async def sweeper(url: str, at: str, instance: str) -> None:
    """One of `--sweepers` processes: connect, say "ready", wait for "go" on stdin, run one
    scheduler pass at `at`, print when it started and finished and its CPU, as JSON."""
    crypto.configure([BENCH_KEY])
    engine = create_engine(url)
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    clock = FixedClock(dt.datetime.fromisoformat(at))
    scheduler = Scheduler(session_factory(engine), clock, [CountingDeliverer()],
                          instance=instance, sweep_parts=SHARED_PARTS)  # fmt: skip
    print("ready", flush=True)
    sys.stdin.readline()
    started, cpu = time.time(), time.process_time()
    report = await scheduler.evaluate()
    finished, cpu = time.time(), time.process_time() - cpu
    await engine.dispose()
    print(
        json.dumps({"started": started, "finished": finished, "cpu": cpu, "nudges": report.nudges})
    )


def run_sweepers(url: str, at: dt.datetime, n: int) -> dict[str, Any]:
    """A pass at `at` by `n` sweeper processes at once: wall (first start to last finish), CPU
    (all of theirs) and the nudges they queued."""
    command = [sys.executable, "-m", "benchmarks.national_scale", "--sweeper", url, at.isoformat()]
    children = [
        subprocess.Popen([*command, f"sweeper-{k}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for k in range(n)
    ]  # fmt: skip
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    done = [json.loads(child.communicate()[0].strip().splitlines()[-1]) for child in children]
    if any(child.returncode for child in children):
        raise SystemExit("a sweeper failed")
    return {
        "wall": max(d["finished"] for d in done) - min(d["started"] for d in done),
        "cpu": sum(d["cpu"] for d in done),
        "nudges": sum(d["nudges"] for d in done),
    }


async def morning_changes(sessions: Any, at: dt.datetime, n: int) -> int:
    """`n` placements changed through the services at `at` (each audited, as the dialogs do):
    an overdue check ticked, or a contact with the provider, or a QA visit logged, by the
    person who started the placement. How many placements were touched."""
    async with sessions() as session, session.begin():
        first_overdue = (
            select(func.min(ChecklistItem.id))
            .join(Placement, Placement.id == ChecklistItem.placement_id)
            .where(
                Placement.status == PlacementStatus.active,
                ChecklistItem.status == ChecklistStatus.not_done,
                ChecklistItem.due_date < at.date(),
            )
            .group_by(ChecklistItem.placement_id)
            .order_by(ChecklistItem.placement_id)
            .limit(n // 2)
        )
        overdue = list(
            await session.scalars(select(ChecklistItem).where(ChecklistItem.id.in_(first_overdue)))
        )
        ticked = {item.placement_id for item in overdue}
        others = list(
            await session.scalars(
                select(Placement)
                .where(Placement.status == PlacementStatus.active, Placement.id.not_in(ticked))
                .order_by(Placement.id.desc())
                .limit(n - n // 2)
            )
        )
        owners = {
            p.id: p.created_by_id
            for p in await session.scalars(select(Placement).where(Placement.id.in_(ticked)))
        }
        for item in overdue:
            change = Change(person_id=owners[item.placement_id], channel="bench", at=at)
            await update_checklist_item(
                session, change, item, status=ChecklistStatus.done, evidence="Seen."
            )
        for k, placement in enumerate(others):
            change = Change(person_id=placement.created_by_id, channel="bench", at=at)
            if k % 2:
                await log_contact(
                    session, change, placement=placement, contact_date=at.date(),
                    method=ContactMethod.phone, summary="Rang the provider.",
                )  # fmt: skip
            else:
                await log_visit(
                    session, change, placement=placement, visit_date=at.date(), pupil_seen=True,
                    pupil_voice="Settled.", setting_safe=True, register_matches=True,
                    concerns=None, rating=QaRating.good, actions_agreed=None,
                    next_visit_due=at.date() + dt.timedelta(weeks=6),
                )  # fmt: skip
    return len(ticked) + len(others)


async def measure(
    url: str, sweepers: int = 0, prepare: bool = True, reminders_only: bool = False
) -> dict[str, Any]:
    """The child: every figure, as a dict (`reminders_only`: the preparation, the changes and
    the 08:30 and 08:31 passes, no digests, no sending)."""
    crypto.configure([BENCH_KEY])
    engine = create_engine(url)
    sessions = session_factory(engine)
    statements = Statements()
    statements.attach(engine)
    at = dt.datetime.combine(TODAY, dt.time(8, 0), tzinfo=LONDON)
    clock = FixedClock(at)
    channel = CountingDeliverer()
    parts = SHARED_PARTS if sweepers else 1
    # Reminders only: no digests due (08:00 is not played) and no audit chain check in the
    # passes measured, so that they are the reminders' work.
    late = dt.time(23, 0)
    scheduler = Scheduler(sessions, clock, [channel], instance="bench", sweep_parts=parts,
                          prepare_at=PREPARE_AT if prepare else None,
                          times=NudgeTimes(digest=late) if reminders_only else None,
                          audit_check=late if reminders_only else dt.time(6, 0))  # fmt: skip
    out: dict[str, Any] = {"sweepers": sweepers, "prepare": prepare}

    # The day before, as the bot would have run it (untimed): Monday's reminders, sent, so
    # today's once-per-date reminders are only the new ones.
    clock.set(at - dt.timedelta(days=1) + dt.timedelta(minutes=30))
    await scheduler.evaluate()
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE outbox SET status = 'sent', sent_at = due_at WHERE status = 'pending'")
        )
    # 06:00: the day's reminders prepared ahead (the work the 08:30 pass no longer does), the
    # preparation alone (the 06:00 pass also checks the audit log's chain, untimed here as
    # before); then a morning's changes.
    out["prepared"] = 0
    if prepare:
        out["prepared"] = await _timed(
            lambda: prepare_day_reminders(
                sessions, dt.datetime.combine(TODAY, PREPARE_AT, tzinfo=LONDON),
                scheduler.times, prepare_at=PREPARE_AT, instance="bench", parts=parts,
            ),
            out, "prepare_0600_s",
        )  # fmt: skip
    out["changed"] = await morning_changes(
        sessions, dt.datetime.combine(TODAY, dt.time(7, 0), tzinfo=LONDON), CHANGES
    )
    if reminders_only:
        for label, (hour, minute) in (("0830", (8, 30)), ("0831", (8, 31))):
            clock.set(dt.datetime.combine(TODAY, dt.time(hour, minute), tzinfo=LONDON))
            passed = await _timed(scheduler.evaluate, out, f"pass_{label}_s")
            out[f"pass_{label}_nudges"] = passed.nudges
        async with sessions() as session:
            outcomes = await session.scalars(
                select(ReminderPreparation.outcome).where(ReminderPreparation.day == TODAY)
            )
            out["reconciled"] = "; ".join(sorted({o or "" for o in outcomes})) or "swept whole"
        await engine.dispose()
        return out
    clock.set(at)
    statements.label = "digests"
    out["digests"] = await _timed(
        lambda: queue_digests(sessions, clock.now(), scheduler.times.digest), out, "digests_s"
    )
    statements.label = None
    await _timed(scheduler.evaluate, out, "pass_0800_s")
    report = await _timed(scheduler.worker.deliver_due, out, "deliver_digests_s")
    out["digests_sent"] = report.sent
    nudges = 0
    for label, (hour, minute) in (("0830", (8, 30)), ("0831", (8, 31)), ("0945", (9, 45)), ("0946", (9, 46))):  # fmt: skip
        clock.set(dt.datetime.combine(TODAY, dt.time(hour, minute), tzinfo=LONDON))
        if label == "0830" and sweepers:
            shared = run_sweepers(url, clock.now(), sweepers)
            out["pass_0830_s"], out["pass_0830_s_cpu"] = shared["wall"], shared["cpu"]
            out["pass_0830_nudges"] = shared["nudges"]
            nudges += shared["nudges"]
            continue
        statements.label = label
        passed = await _timed(scheduler.evaluate, out, f"pass_{label}_s")
        statements.label = None
        out[f"pass_{label}_nudges"] = passed.nudges
        nudges += passed.nudges
    statements.label = "deliver"
    report = await _timed(scheduler.worker.deliver_due, out, "deliver_nudges_s")
    statements.label = None
    out["nudges_sent"] = report.sent
    async with sessions() as session:
        # What the day's reminders read (once a day), and what a pass reads every minute.
        day_facts = await gather_facts(session, clock.now(), scheduler.times, timely=False)
        minute = await gather_facts(session, clock.now(), scheduler.times, reminders=False)
        outcomes = await session.scalars(
            select(ReminderPreparation.outcome).where(ReminderPreparation.day == TODAY)
        )
        out["reconciled"] = "; ".join(sorted({o or "" for o in outcomes})) or "nothing prepared"
    out["reminder_candidates"] = len(day_facts.placements)
    out["candidates_0946"] = len(minute.placements)
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    slowest = [*statements.slowest("0945", 4), *statements.slowest("digests", 4)]
    out["plans"] = await _explain(engine, slowest + statements.slowest("deliver", 1))
    await engine.dispose()
    return out


# ----- the parent: databases, children, the table --------------------------------------------


async def _admin(url: str, statement: str) -> None:
    parsed = make_url(normalise_url(url))
    connection = await asyncpg.connect(host=parsed.host, port=parsed.port or 5432, user=parsed.username,
                                       password=parsed.password, database=parsed.database)  # fmt: skip
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _fill(url: str, scale: Scale) -> dict[str, int]:
    parsed = make_url(normalise_url(url))
    connection = await asyncpg.connect(host=parsed.host, port=parsed.port or 5432, user=parsed.username,
                                       password=parsed.password, database=parsed.database)  # fmt: skip
    try:
        return await generate(connection, scale)
    finally:
        await connection.close()


def compare_reminders(server: str, fraction: float) -> None:
    """`--compare`: one filled database, copied twice; on one copy the 08:30 pass sweeps the day
    whole (`--no-prepare`, as before preparation), on the other the day is prepared at 06:00 and
    reconciled at 08:30; the same changes between. Reminders only (no digests, no sending)."""
    name = f"apsg_bench_national_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    base = make_url(normalise_url(server))
    try:
        upgrade(base.set(database=name).render_as_string(hide_password=False))
        counts = asyncio.run(_fill(base.set(database=name).render_as_string(hide_password=False),
                                   Scale.of(fraction)))  # fmt: skip
        print(f"  {counts['placements']:,} placements", flush=True)
        for flags in (["--no-prepare"], [], ["--no-prepare"], []):
            copy = f"{name}_copy"
            asyncio.run(_admin(server, f'CREATE DATABASE "{copy}" TEMPLATE "{name}"'))
            url = base.set(database=copy).render_as_string(hide_password=False)
            try:
                print(f"  {'swept whole' if flags else 'prepared'} (load {_load()}):", flush=True)
                child = subprocess.run(
                    [sys.executable, "-m", "benchmarks.national_scale", "--child", url,
                     "--reminders-only", *flags],
                    stdout=subprocess.PIPE, text=True, check=False,
                )  # fmt: skip
                if child.returncode != 0:
                    raise SystemExit(f"the measuring child failed ({child.returncode})")
                figures = json.loads(child.stdout.strip().splitlines()[-1])
                print(f"    08:30: {figures['pass_0830_nudges']:,} reminders deliverable; "
                      f"{figures['reconciled']}", flush=True)  # fmt: skip
            finally:
                asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _load() -> str:
    with open("/proc/loadavg") as loadavg:
        return loadavg.read().split()[0]


def run_size(
    server: str, fraction: float, sweepers: int = 0, prepare: bool = True
) -> dict[str, Any]:
    """Create, migrate and fill a scratch database at this fraction of England, measure it in
    a child process, drop it."""
    name = f"apsg_bench_national_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(server)).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        started = time.perf_counter()
        counts = asyncio.run(_fill(url, Scale.of(fraction)))
        generated = time.perf_counter() - started
        print(f"  {counts['placements']:,} placements, {counts['attendance']:,} attendance rows, "
              f"{counts['checklist_items']:,} checks, {counts['contacts']:,} contacts, "
              f"{counts['qa_visits']:,} QA visits: generated in {generated:.0f} s; measuring...", flush=True)  # fmt: skip
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.national_scale", "--child", url,
             "--sweepers", str(sweepers), *([] if prepare else ["--no-prepare"])],
            stdout=subprocess.PIPE, text=True, check=False,
        )  # fmt: skip
        if child.returncode != 0:
            raise SystemExit(f"the measuring child failed ({child.returncode})")
        figures: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
        figures["counts"] = counts
        figures["generate_s"] = generated
        return figures
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


ROWS: list[tuple[str, str, float | None, str]] = [
    # label, key, target, unit
    ("day's reminders prepared (06:00, moved)", "prepare_0600_s", None, "s"),
    ("all digests built and queued (08:00)", "digests_s", DIGESTS_TARGET_S, "s"),
    ("scheduler pass 08:00 (digests queued)", "pass_0800_s", PASS_TARGET_S, "s"),
    ("scheduler pass 08:30 (day's reminders)*", "pass_0830_s", PASS_TARGET_S, "s"),
    ("scheduler pass 08:31 (nothing new)", "pass_0831_s", PASS_TARGET_S, "s"),
    ("scheduler pass 09:45 (after deadlines)", "pass_0945_s", PASS_TARGET_S, "s"),
    ("scheduler pass 09:46 (nothing new)", "pass_0946_s", PASS_TARGET_S, "s"),
    ("sending the digests (counting channel)", "deliver_digests_s", None, "s"),
    ("sending the nudges (counting channel)", "deliver_nudges_s", None, "s"),
    ("peak memory of the measured process", "rss_mb", RSS_TARGET_MB, "MB"),
]
COUNTS = [
    ("reminders prepared at 06:00 (held)", "prepared"),
    ("placements changed 06:00-08:30", "changed"),
    ("digests queued", "digests"),
    ("nudges queued at 08:30", "pass_0830_nudges"),
    ("nudges queued at 09:45", "pass_0945_nudges"),
    ("placements read by the day's reminders (once)", "reminder_candidates"),
    ("placements read by a pass at 09:46", "candidates_0946"),
]


def report(size: str, big: dict[str, Any], small: dict[str, Any], show_plans: bool) -> None:
    n, m = big["counts"]["placements"], small["counts"]["placements"]
    print(f"\nNational scale, --size {size}: N = {n:,} placements (incl. ended), N/10 = {m:,}")
    print(f"{'figure':44} {'at N':>10} {'at N/10':>10} {'ratio':>7} {'target':>9}  met"
          f"  {'CPU at N':>9}")  # fmt: skip
    for label, key, target, unit in ROWS:
        if key not in big:
            continue  # the preparation, with --no-prepare
        a, b = big[key], small[key]
        ratio = f"{a / b:.1f}x" if b else "-"
        goal = f"< {target:g} {unit}" if target else ""
        met = "" if target is None else ("yes" if a < target else "NO")
        cpu = f"{big[key + '_cpu']:>7.2f} s" if key + "_cpu" in big else ""
        print(
            f"{label:44} {a:>8.2f}{unit:>2} {b:>8.2f}{unit:>2} {ratio:>7} {goal:>9}  {met:3}  {cpu}"
        )
    for label, key in COUNTS:
        a, b = big[key], small[key]
        print(f"{label:44} {a:>10,} {b:>10,} {(f'{a / b:.1f}x' if b else '-'):>7}")
    print(f"{'messages sent (digests + nudges)':44} {big['digests_sent'] + big['nudges_sent']:>10,} "
          f"{small['digests_sent'] + small['nudges_sent']:>10,}")  # fmt: skip
    print(f"the 08:30 pass at N: {big['reconciled']}")
    sweepers = big.get("sweepers") or 0
    print(f"* by {sweepers} processes at once, first start to last finish; CPU: all of theirs"
          if sweepers else "* in the measured process")  # fmt: skip
    print("\nQuery plans at N (slowest SELECTs of the 09:45 pass, of the digests, of sending):")
    for plan in big["plans"]:
        seq = [t for t in plan["seq_scans"] if t in BIG_TABLES]
        print(f"- {plan['seconds'] * 1000:.0f} ms in {plan['calls']} call(s); {plan['execution']}; "
              f"indexes: {', '.join(plan['indexes']) or 'none'}; "
              f"seq scans of big tables: {', '.join(seq) or 'none'}\n    {plan['query']}")  # fmt: skip
        if show_plans:
            print("    " + "\n    ".join(plan["plan"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument(
        "--postgres", default=DEFAULT_URL, help="a server to create scratch databases on"
    )
    parser.add_argument("--plans", action="store_true", help="print the whole query plans")
    parser.add_argument(
        "--sweepers", type=int, default=0,
        help="run the 08:30 pass by this many processes at once (0: in the measured process)",
    )  # fmt: skip
    parser.add_argument(
        "--no-prepare", action="store_true",
        help="prepare nothing at 06:00: the 08:30 pass sweeps the day whole (as before)",
    )  # fmt: skip
    parser.add_argument(
        "--compare", action="store_true",
        help="reminders only: the 08:30 pass swept whole and prepared, alternated twice, on "
        "copies of one database",
    )  # fmt: skip
    parser.add_argument("--reminders-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--sweeper", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sweeper:
        asyncio.run(sweeper(*args.sweeper))
        return
    if args.child:
        figures = asyncio.run(
            measure(args.child, args.sweepers, not args.no_prepare, args.reminders_only)
        )
        print(json.dumps(figures, default=str))
        return
    fraction = SIZES[args.size]
    if args.compare:
        print(f"National scale ({args.size}), the 08:30 pass swept whole and prepared:")
        compare_reminders(args.postgres, fraction)
        return
    print(
        f"National scale ({args.size}): England at {fraction:g}, and a tenth of that.", flush=True
    )
    big = run_size(args.postgres, fraction, args.sweepers, not args.no_prepare)
    small = run_size(args.postgres, fraction / 10, args.sweepers, not args.no_prepare)
    report(args.size, big, small, args.plans)


if __name__ == "__main__":
    main()
