"""Webhook acknowledgement (issue 7): how fast our server answers Slack and Teams over HTTP,
next to a bare aiohttp handler on the same machine.

    .venv/bin/python -m benchmarks.webhook_ack [--size small|full] [--postgres URL]

Starts two servers as subprocesses on 127.0.0.1 (see ack_servers.py): the baseline (one
handler returning 200) and our real server on a migrated database with the demo data (a
SQLite file in a temporary folder, or with `--postgres` a scratch database created on that
server and dropped at the end). Then, at 50 and 200 concurrent requests, it fires signed Slack
slash commands (`/ap help`), signed Slack block actions (a click on a question's button) and
Teams activities (`help` in a personal chat), and prints per case the p50/p99 latency of the
HTTP answer and the requests per second, with the ratio to the baseline.

Both channels acknowledge as soon as the request is verified and do the turn afterwards
(background tasks, at most ten at once, one person's turns in order), so the latency figure
is the acknowledgement. After each case the benchmark waits for that work to drain and prints
how long the whole case took to be *done* (turns per second) and how many replies reached the
fake Slack Web API and connector, so a fast ack cannot hide lost or slow work.

Target: p99 under 100 ms at 200 concurrent (Slack allows 3 s, Teams 15 s). The script prints
whether each case met it; it never fails on slowness.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import itertools
import json
import os
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from benchmarks.ack_servers import DEMO_USERS, SIGNING_SECRET
from benchmarks.common import admin_execute as _admin
from tests.support import slack_requests

SIZES = {"small": 400, "full": 4000}  # requests per case
CONCURRENCY = (50, 200)
WARM_UP = 20
TARGET_P99_MS = 100.0
TARGET_P99_RATIO = 2.0  # issue 17: against the bare aiohttp handler in the same run
TARGET_RPS_RATIO = 0.5
REPOSITORY = Path(__file__).resolve().parent.parent

# A request to send: the path, the body, the headers.
Request = tuple[str, bytes, dict[str, str]]


# ----- the requests, as Slack and Teams send them ----------------------------------------


def slack_signed(body: str, content_type: str) -> Request:
    """Signed as Slack signs: v0 HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    ts = str(int(time.time()))
    digest = hmac.new(
        SIGNING_SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256
    ).hexdigest()
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }
    return "/slack/events", body.encode(), headers


def slack_command(n: int, server: Server) -> Request:
    """`/ap help` typed in a DM by one of the demo people."""
    user = DEMO_USERS[n % len(DEMO_USERS)][0]
    body = slack_requests.command(
        user, "help", n=n, response_url=server.response_url, trigger_id=f"trigger.{n}"
    )
    return slack_signed(body, slack_requests.FORM)


def slack_action(n: int, server: Server) -> Request:
    """A click on a question's choice button (block_actions, form-encoded). The question is
    not open, so the work after the ack ends in a polite refusal; the ack path is the same."""
    user = DEMO_USERS[n % len(DEMO_USERS)][0]
    body = slack_requests.click(
        user,
        "prompt_choice_0",
        "1",
        n=n,
        block_id=f"bench-{n}.1.placement",
        response_url=server.response_url,
    )
    return slack_signed(body, slack_requests.FORM)


def teams_message(n: int, server: Server) -> Request:
    """`help` in a personal chat, as a Teams Activity (serviceUrl: the fake connector)."""
    _, user, aad, _ = DEMO_USERS[n % len(DEMO_USERS)]
    activity = {
        "type": "message",
        "id": f"incoming-{n}-{uuid.uuid4().hex[:6]}",
        "timestamp": "2026-11-27T10:00:00.000Z",
        "serviceUrl": server.connector_url,
        "channelId": "msteams",
        "from": {"id": user, "name": "Bench User", "aadObjectId": aad},
        "recipient": {"id": "28:ap-safeguard-bot", "name": "AP Safeguard"},
        "conversation": {
            "id": f"a:personal-{user}",
            "conversationType": "personal",
            "tenantId": "tenant-1",
        },
        "channelData": {"tenant": {"id": "tenant-1"}},
        "locale": "en-GB",
        "text": "help",
    }
    return "/api/messages", json.dumps(activity).encode(), {"Content-Type": "application/json"}


def baseline_request(n: int, server: Server) -> Request:
    """The same size of body as a slash command, to a handler that only answers 200."""
    _, body, headers = slack_command(n, server)
    return "/baseline", body, headers


# ----- the servers ------------------------------------------------------------------------


@dataclass
class Server:
    process: asyncio.subprocess.Process
    base: str
    connector_url: str = ""
    response_url: str = ""
    extra: list[str] = field(default_factory=list)  # what its READY line said after the port

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def start_server(*args: str, env: dict[str, str] | None = None) -> Server:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.ack_servers",
        *args,
        stdout=asyncio.subprocess.PIPE,
        cwd=REPOSITORY,
        env={**os.environ, **(env or {})},
    )
    assert process.stdout is not None
    while True:
        line = (await asyncio.wait_for(process.stdout.readline(), 120)).decode()
        if not line:
            raise SystemExit(f"the {args[0]} server did not start (see its output above)")
        if line.startswith("READY "):
            parts = line.split()
            return Server(process, f"http://127.0.0.1:{parts[1]}", *parts[2:4], extra=parts[2:])


# ----- one case ---------------------------------------------------------------------------


@dataclass
class Result:
    kind: str
    concurrency: int
    latencies_ms: list[float]
    seconds: float
    failed: int
    done_seconds: float = 0.0  # from the first request until all the work after the acks ended
    replies: int = 0  # messages the fakes received for this case
    cpu_seconds: float = 0.0  # the answering process's CPU while the requests were answered

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_seconds * 1000 / len(self.latencies_ms)

    @property
    def done_per_second(self) -> float:
        return len(self.latencies_ms) / self.done_seconds if self.done_seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.seconds


async def fire(
    session: aiohttp.ClientSession, base: str, requests: list[Request], concurrency: int
) -> tuple[list[float], float, int]:
    """Send `requests` with at most `concurrency` in flight; latencies (ms), wall time, failures."""
    latencies: list[float] = []
    failed = 0
    queue = iter(requests)

    async def worker() -> None:
        nonlocal failed
        for path, body, headers in queue:
            started = time.perf_counter()
            async with session.post(base + path, data=body, headers=headers) as response:
                await response.read()
                ok = response.status < 300
            latencies.append((time.perf_counter() - started) * 1000)
            failed += 0 if ok else 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started, failed


async def run_case(
    kind: str,
    make: Callable[[int, Server], Request],
    server: Server,
    concurrency: int,
    total: int,
    numbers: itertools.count[int],
    fakes: Server,
    paused: Server | None = None,
) -> Result:
    """One case. With `paused` (the worker process, `--worker-after`), the worker is stopped
    (SIGSTOP) while the case's requests are acknowledged and let go (SIGCONT) after: the
    acknowledgements are measured with the web process alone on the CPUs, as in production
    where the workers run on other machines; then the turns run and are counted as usual."""
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def drain() -> int:
            """Wait for the work after the acks; how many replies the fakes have had so far."""
            if kind == "baseline":
                return 0
            async with session.post(server.base + "/_bench/drain") as response:
                await response.read()
            async with session.get(fakes.base + "/counts") as response:
                calls = await response.json()
            return int(calls["slack_calls"]) + int(calls["teams_calls"])

        # Warmed up at the case's own concurrency: the first burst of 200 a process meets
        # after starting is slower whichever case meets it (measured 29 November: the first
        # Slack case at 200 had 1.6-2.4x the p99 of the same case run second), and a
        # server in production meets that burst once, not at every rush.
        warm_up = [make(next(numbers), server) for _ in range(max(WARM_UP, concurrency))]
        await fire(session, server.base, warm_up, concurrency)
        replies_before = await drain()
        requests = [make(next(numbers), server) for _ in range(total)]
        if paused is not None and kind != "baseline":
            paused.process.send_signal(signal.SIGSTOP)
        started = time.perf_counter()
        cpu_before = process_cpu_seconds(server.process.pid)
        try:
            latencies, seconds, failed = await fire(session, server.base, requests, concurrency)
        finally:
            if paused is not None and kind != "baseline":
                paused.process.send_signal(signal.SIGCONT)
        cpu = process_cpu_seconds(server.process.pid) - cpu_before
        replies = await drain() - replies_before
        done_seconds = time.perf_counter() - started
        print(f"  {kind} at {concurrency}: done, {replies} replies", flush=True)
    return Result(kind, concurrency, latencies, seconds, failed, done_seconds, replies, cpu)


def process_cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user and system), from /proc (0 where there is none): a
    figure far less moved by other work on the machine than latencies are."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ----- the run ----------------------------------------------------------------------------


def print_table(results: list[Result], total: int, backend: str, mode: str) -> None:
    baseline = {r.concurrency: r for r in results if r.kind == "baseline"}
    print(f"\nWebhook acknowledgement: {total} requests per case, database: {backend}")
    print(f"Turns: {mode}")
    print(f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}; servers on 127.0.0.1\n")
    header = f"{'case':<16}{'conc':>5}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}"
    header += f"{'p99 x base':>12}{'req/s x base':>14}{'non-2xx':>9}{'CPU ms/req':>11}"
    header += f"{'done/s':>8}{'replies':>9}"
    print(header)
    print("-" * len(header))
    for r in results:
        base = baseline[r.concurrency]
        done = "" if r.kind == "baseline" else f"{r.done_per_second:>8.0f}{r.replies:>9}"
        print(
            f"{r.kind:<16}{r.concurrency:>5}{r.percentile(50):>9.1f}{r.percentile(99):>9.1f}"
            f"{r.rps:>9.0f}{r.percentile(99) / base.percentile(99):>12.1f}"
            f"{r.rps / base.rps:>14.2f}{r.failed:>9}{r.cpu_ms_per_request:>11.2f}{done}"
        )
    print("\ndone/s: requests per second until the work after the acks had finished too;")
    print("replies: messages the fake Slack Web API and connector received in the case;")
    print("CPU ms/req: the answering process's CPU time while the case's requests were sent.")
    print(
        f"\nTargets at 200 concurrent (issue 17): p99 at most {TARGET_P99_RATIO:.0f}x the bare"
        f" handler's and at least {TARGET_RPS_RATIO}x its requests per second, in this run"
        f" (issue 7's: p99 under {TARGET_P99_MS:.0f} ms)."
    )
    for r in results:
        if r.kind != "baseline" and r.concurrency == 200:
            base = baseline[r.concurrency]
            p99_ratio = r.percentile(99) / base.percentile(99)
            rps_ratio = r.rps / base.rps
            met = p99_ratio <= TARGET_P99_RATIO and rps_ratio >= TARGET_RPS_RATIO
            print(
                f"  {r.kind:<16} p99 {r.percentile(99):7.1f} ms ({p99_ratio:.1f}x),"
                f" {r.rps:.0f} req/s ({rps_ratio:.2f}x): {'met' if met else 'NOT met'}"
            )


MODES = {
    "same": "run by the web process that acknowledges (apbot serve)",
    "worker": "run by a separate worker process, alongside the acknowledgements (same CPUs)",
    "after": "run by a separate worker process, paused while the acknowledgements are measured",
}


async def run(size: str, postgres: str | None, separate_worker: bool, worker_after: bool) -> None:
    from sqlalchemy.engine import make_url

    from storage.db import normalise_url

    total = SIZES[size]
    scratch: str | None = None
    with tempfile.TemporaryDirectory(prefix="apsg-bench-") as folder:
        server_args = ["bot"]
        if postgres:
            from cryptography.fernet import Fernet

            scratch = f"apsg_bench_{uuid.uuid4().hex[:10]}"
            await _admin(postgres, f'CREATE DATABASE "{scratch}"')
            url = make_url(normalise_url(postgres)).set(database=scratch)
            server_args += [
                "--database-url",
                url.render_as_string(hide_password=False),
                "--encryption-key",
                Fernet.generate_key().decode(),
            ]
        else:
            server_args += ["--database-url", f"sqlite+aiosqlite:///{folder}/bench.db"]
        fakes = await start_server("fakes")
        slack_api_url, connector_url, response_url = fakes.extra
        server_args += [
            "--slack-api-url",
            slack_api_url,
            "--connector-url",
            connector_url,
            "--response-url",
            response_url,
        ]
        baseline = await start_server("baseline")
        worker: Server | None = None
        try:
            if (
                separate_worker or worker_after
            ):  # the bot only acknowledges; `apbot worker` runs the turns
                bot = await start_server(*server_args, env={"SERVE_RUNS_TURNS": "false"})
                worker = await start_server("worker", *server_args[1:])
            else:
                bot = await start_server(*server_args)
        except BaseException:
            await baseline.stop()
            await fakes.stop()
            raise
        try:
            numbers = itertools.count(1)
            results = []
            cases: list[tuple[str, Callable[[int, Server], Request], Server]] = [
                ("baseline", baseline_request, baseline),
                ("slack command", slack_command, bot),
                ("slack action", slack_action, bot),
                ("teams message", teams_message, bot),
            ]
            for kind, make, server in cases:
                for concurrency in CONCURRENCY:
                    paused = worker if worker_after else None
                    results.append(
                        await run_case(
                            kind, make, server, concurrency, total, numbers, fakes, paused
                        )
                    )
        finally:
            await bot.stop()
            if worker is not None:
                await worker.stop()
            await baseline.stop()
            await fakes.stop()
            if scratch and postgres:
                await _admin(postgres, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    mode = MODES["after" if worker_after else "worker" if separate_worker else "same"]
    print_table(results, total, "PostgreSQL" if postgres else "SQLite (file)", mode)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Webhook acknowledgement benchmark (issue 7).")
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="a PostgreSQL server to create a scratch database on, e.g. "
        "postgresql://postgres@127.0.0.1:5432/postgres",
    )
    parser.add_argument(
        "--separate-worker",
        action="store_true",
        help="the bot only acknowledges (SERVE_RUNS_TURNS=false); a worker process runs the turns",
    )
    parser.add_argument(
        "--worker-after",
        action="store_true",
        help="as --separate-worker, but the worker is paused (SIGSTOP) while each case's "
        "acknowledgements are measured and let go after: the web process measured alone",
    )
    args = parser.parse_args(argv)
    asyncio.run(run(args.size, args.postgres, args.separate_worker, args.worker_after))
    return 0


if __name__ == "__main__":
    sys.exit(main())
