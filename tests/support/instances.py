"""Several real bot instances behind one address, for tests and benchmarks of issue 7.

`several_instances` starts N `apbot serve` processes (`python -m bot serve`, configured only
through the environment, as in production) on one database, and HAProxy in front of them with
the production config (tests/support/load_balancer.py); it waits until each answers `/healthz` and
stops them all at the end.
`WatchedSlackApi` is the fake Slack Web API (tests/fakes/slack_api.py) that also lets a caller
wait for the next message the bot posts in a DM. `RemoteSlack` sends requests exactly as Slack
does (built and signed by tests/support/slack.py) over HTTP to an address, and keeps each
acknowledgement's latency and the instance that served it. `report_absence_in_slack` is a
provider reporting one absence, step by step, as a person in Slack would: each answer only once
the question is there.

Used by tests/bot/test_several_instances.py and benchmarks/morning_rush.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bot.channels.slack import blocks
from bot.settings import Settings
from tests.fakes.slack_api import FakeSlackApi
from tests.support.load_balancer import SERVED_BY, free_port, start_haproxy
from tests.support.slack import BOT_TOKEN, SIGNING_SECRET, Posted, SlackRequests

REPOSITORY = Path(__file__).resolve().parents[2]
START_TIMEOUT = 120.0  # seconds for every process to answer /healthz (several start at once)
STOP_TIMEOUT = 60.0  # seconds to finish the work in hand after Ctrl-C


# ----- the Slack side -----------------------------------------------------------------------


@dataclass
class WatchedSlackApi(FakeSlackApi):
    """The fake Slack Web API, plus: wait for the next message the bot posts in a channel."""

    answered: Counter[str] = field(default_factory=Counter)  # successful calls per method
    _posts: dict[str, list[Posted]] = field(default_factory=dict)
    _arrived: dict[str, asyncio.Event] = field(default_factory=dict)

    def _answer(self, method: str, args: dict[str, Any], team: str | None) -> dict[str, Any]:
        body = super()._answer(method, args, team)
        if body.get("ok"):
            self.answered[method] += 1
        if method == "chat.postMessage" and body.get("ok"):
            channel = str(body["channel"])
            posted = Posted(
                channel=channel,
                ts=str(body["ts"]),
                blocks=list(args.get("blocks") or []),
                text=str(args.get("text", "")),
            )
            self._posts.setdefault(channel, []).append(posted)
            arrived = self._arrived.pop(channel, None)
            if arrived is not None:
                arrived.set()
        return body

    def posts_in(self, channel: str) -> list[Posted]:
        """Messages posted in `channel` so far, oldest first."""
        return list(self._posts.get(channel, []))

    def count_in(self, channel: str) -> int:
        return len(self._posts.get(channel, []))

    async def post_after(self, channel: str, seen: int, *, within: float) -> Posted:
        """The first message posted in `channel` after the first `seen`, waiting up to
        `within` seconds for it (TimeoutError if it never comes)."""
        deadline = time.monotonic() + within
        while self.count_in(channel) <= seen:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"nothing new posted in {channel} within {within:.0f} s")
            arrived = self._arrived.setdefault(channel, asyncio.Event())
            try:
                await asyncio.wait_for(arrived.wait(), remaining)
            except TimeoutError:
                continue
        return self._posts[channel][seen]

    def forget(self, channel: str) -> None:
        """Drop what was posted in `channel` (a long benchmark keeps memory flat)."""
        self._posts.pop(channel, None)


@dataclass(kw_only=True)
class RemoteSlack(SlackRequests):
    """Slack's requests, signed, sent over HTTP to `base_url` (a balancer or an instance);
    `served` keeps the name of the instance that answered each (the balancer's X-Served-By)."""

    base_url: str
    session: aiohttp.ClientSession
    acks_ms: list[float] = field(default_factory=list)
    served: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    async def post(
        self, body: str, content_type: str, *, headers: dict[str, str] | None = None
    ) -> int:
        sent = {"Content-Type": content_type, **self.sign(body), **(headers or {})}
        started = time.perf_counter()
        async with self.session.post(
            self.base_url + "/slack/events", data=body.encode(), headers=sent
        ) as response:
            await response.read()
        self.acks_ms.append((time.perf_counter() - started) * 1000)
        self.served.append(response.headers.get(SERVED_BY, "?"))
        self.statuses[response.status] += 1
        return response.status


# ----- one provider reporting one absence -----------------------------------------------------


class DialogStuck(Exception):
    """The bot did not ask what a person would expect next (or said nothing in time)."""


@dataclass
class Step:
    """One answer sent and what came back."""

    sent: str  # what the person did, in words
    status: int  # the HTTP status of Slack's request
    reply: Posted
    reply_ms: float  # from sending the request to the bot's next message arriving


@dataclass
class AbsenceReport:
    user: str
    reference: str
    steps: list[Step] = field(default_factory=list)

    @property
    def questions(self) -> list[str | None]:
        return [step.reply.field for step in self.steps]

    @property
    def confirmation(self) -> str:
        return self.steps[-1].reply.text if self.steps else ""


def _element(message: Posted, action_id: str) -> tuple[str, dict[str, Any]]:
    for block_id, element in message.elements():
        if element.get("action_id") == action_id:
            return block_id, element
    raise DialogStuck(f"no {action_id} in the question {message.text!r}")


async def report_absence_in_slack(
    slack: RemoteSlack,
    api: WatchedSlackApi,
    *,
    user: str,
    reference: str,
    day: dt.date,
    reason: str = "Unwell; parent rang at 08:40",
    code: str = "I",
    within: float = 60.0,
) -> AbsenceReport:
    """`/ap absent AP-XXXX` typed in the DM with the bot, then: the day picked in the date
    picker, the sessions typed (`AM`), the reason typed, the code picked from the menu, and
    Save clicked; each answer sent once the bot has asked for it. Raises DialogStuck when the
    bot asks something else, refuses an answer, or says nothing within `within` seconds."""
    channel = f"D{user}"
    report = AbsenceReport(user, reference)

    async def step(sent: str, send: Any, expect: str | None) -> Posted:
        seen = api.count_in(channel)
        started = time.perf_counter()
        status = await send
        try:
            reply = await api.post_after(channel, seen, within=within)
        except TimeoutError as error:
            raise DialogStuck(f"{reference}: no answer to {sent!r} (HTTP {status})") from error
        report.steps.append(Step(sent, status, reply, (time.perf_counter() - started) * 1000))
        if expect is not None and reply.field != expect:
            raise DialogStuck(f"{reference}: after {sent!r} expected {expect}, got {reply.text!r}")
        return reply

    question = await step(
        f"/ap absent {reference}", slack.command(user, f"absent {reference}"), "date"
    )
    block_id, picker = _element(question, blocks.DATE)
    picked = {**picker, "block_id": block_id, "selected_date": day.isoformat()}
    question = await step(f"picked {day:%d/%m/%Y}", slack.act(user, question, picked), "sessions")
    question = await step("typed AM", slack.dm(user, "AM"), "reason")
    question = await step(f"typed {reason!r}", slack.dm(user, reason), "code")
    block_id, menu = _element(question, blocks.SELECT)
    option = next((o for o in menu["options"] if o["value"] == code), None)
    if option is None:
        raise DialogStuck(f"{reference}: no code {code} in the menu")
    chosen = {"type": "static_select", "action_id": blocks.SELECT, "block_id": block_id}
    question = await step(
        f"picked code {code}",
        slack.act(user, question, {**chosen, "selected_option": option}),
        "confirm",
    )
    done = await step("clicked Save", slack.click(user, question, "yes"), None)
    if done.prompt_id is not None or "Recorded" not in done.text:
        raise DialogStuck(f"{reference}: after Save, got {done.text!r}")
    return report


# ----- the processes ------------------------------------------------------------------------


@dataclass
class Process:
    """One child process: an instance or the balancer."""

    name: str
    address: str  # host:port it listens on
    process: asyncio.subprocess.Process
    log: Path

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} ({self.log}) ---\n" + "\n".join(text.splitlines()[-lines:])


@dataclass
class Cluster:
    """N instances and the balancer in front of them."""

    instances: list[Process]
    balancer: Process
    workers: list[Process] = field(default_factory=list)  # `apbot worker`, when asked for

    @property
    def url(self) -> str:
        """The one address: the balancer's."""
        return f"http://{self.balancer.address}"

    @property
    def names(self) -> list[str]:
        """The instances' names, as the balancer's X-Served-By header gives them."""
        return [instance.name for instance in self.instances]

    @property
    def pids(self) -> list[int]:
        return [p.process.pid for p in (*self.instances, *self.workers, self.balancer)]

    def logs(self, lines: int = 30) -> str:
        every = (*self.instances, *self.workers, self.balancer)
        return "\n".join(p.log_tail(lines) for p in every)


def bot_environment(
    *,
    database_url: str,
    slack_api_url: str,
    encryption_key: str,
    port: int,
    name: str,
    log_level: str,
) -> dict[str, str]:
    """An `apbot serve` configured as in production, through the environment only (none of
    this process's own settings passed on)."""
    fields = Settings.model_fields
    ours = {name.upper() for name in fields} | {f.alias.upper() for f in fields.values() if f.alias}
    env = {key: value for key, value in os.environ.items() if key.upper() not in ours}
    env.update(
        PYTHONPATH=str(REPOSITORY),
        DATABASE_URL=database_url,
        ENCRYPTION_KEYS=encryption_key,
        HOST="127.0.0.1",
        PORT=str(port),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_api_url,
        SCHEDULER_ENABLED="false",
        INSTANCE_NAME=name,
        LOG_LEVEL=log_level,
    )
    return env


async def _spawn_instance(
    name: str, args: list[str], env: dict[str, str], folder: Path, port: int
) -> Process:
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *args,
            env=env,
            cwd=folder,  # away from any .env in the repository
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    return Process(name, f"127.0.0.1:{port}", process, log)


async def _healthy(session: aiohttp.ClientSession, process: Process, deadline: float) -> None:
    """Poll `/healthz` until it answers 200; fail at once if the process has exited."""
    url = f"http://{process.address}/healthz"
    while True:
        if process.process.returncode is not None:
            raise RuntimeError(f"{process.name} exited early\n{process.log_tail()}")
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{process.name} did not answer {url}\n{process.log_tail()}")
        await asyncio.sleep(0.1)  # polling a port for readiness, with a deadline


async def _stop(process: Process) -> None:
    if process.process.returncode is not None:
        return
    process.process.send_signal(signal.SIGINT)  # as Ctrl-C: finish the work in hand, then stop
    try:
        await asyncio.wait_for(process.process.wait(), STOP_TIMEOUT)
    except TimeoutError:
        process.process.kill()
        await process.process.wait()


@asynccontextmanager
async def several_instances(
    count: int,
    *,
    database_url: str,
    slack_api_url: str,
    encryption_key: str,
    folder: Path,
    log_level: str = "INFO",
    workers: int = 0,
) -> AsyncIterator[Cluster]:
    """`count` `apbot serve` processes on one database, started at once, then HAProxy in front
    of them once each answers `/healthz` (so it finds them all up); yields once `/healthz`
    answers through HAProxy; stops them all (as Ctrl-C) at the end. With `workers`, that many
    `apbot worker` processes run the turns and the web processes only acknowledge
    (`SERVE_RUNS_TURNS=false`), as deploy/ lays it out. Raises HaproxyMissing without the
    `haproxy` binary."""
    started: list[Process] = []
    try:
        running_workers = []
        for n in range(1, workers + 1):
            env = bot_environment(
                database_url=database_url,
                slack_api_url=slack_api_url,
                encryption_key=encryption_key,
                port=free_port(),
                name=f"worker-{n}",
                log_level=log_level,
            )
            running_workers.append(
                await _spawn_instance(f"worker-{n}", ["worker"], env, folder, free_port())
            )
            started.append(running_workers[-1])
        instances = []
        for n in range(1, count + 1):
            port, name = free_port(), f"instance-{n}"
            env = bot_environment(
                database_url=database_url,
                slack_api_url=slack_api_url,
                encryption_key=encryption_key,
                port=port,
                name=name,
                log_level=log_level,
            )
            if workers:
                env["SERVE_RUNS_TURNS"] = "false"
            instances.append(await _spawn_instance(name, ["serve"], env, folder, port))
            started.append(instances[-1])
        deadline = time.monotonic() + START_TIMEOUT
        async with aiohttp.ClientSession() as session:
            await asyncio.gather(*(_healthy(session, p, deadline) for p in instances))
            address = f"127.0.0.1:{free_port()}"
            process, log = await start_haproxy(
                address,
                [(i.name, i.address) for i in instances],
                folder=folder,
                log_level="info" if log_level.upper() in {"DEBUG", "INFO"} else "warning",
            )
            balancer = Process("balancer", address, process, log)
            started.append(balancer)
            await _healthy(session, balancer, deadline)  # through to an instance
        yield Cluster(instances, balancer, running_workers)
    finally:
        await asyncio.gather(*(_stop(p) for p in started))


# ----- one bot, killed and started again (tests/faults/test_killed_after_ack.py) --------------


@dataclass
class KillableBot:
    """`apbot serve` on a fixed port (and, when `worker_too`, an `apbot worker` beside it, the
    web process then only acknowledging: `SERVE_RUNS_TURNS=false`), that can be killed with
    SIGKILL and started again, as a crash and a restart by systemd would."""

    env: dict[str, str]
    folder: Path
    port: int
    worker_too: bool
    running: list[Process] = field(default_factory=list)
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Start the processes; return once the web process answers `/healthz`."""
        self.starts += 1
        web_env = {**self.env, "SERVE_RUNS_TURNS": "false" if self.worker_too else "true"}
        web = await _spawn_instance(
            f"web-{self.starts}", ["serve"], web_env, self.folder, self.port
        )
        self.running = [web]
        if self.worker_too:
            worker = await _spawn_instance(
                f"worker-{self.starts}", ["worker"], self.env, self.folder, self.port
            )
            self.running.append(worker)
        async with aiohttp.ClientSession() as session:
            await _healthy(session, web, time.monotonic() + START_TIMEOUT)

    async def kill(self) -> None:
        """SIGKILL every process at once: nothing is finished, nothing flushed."""
        for process in self.running:
            if process.process.returncode is None:
                os.kill(process.process.pid, signal.SIGKILL)
        for process in self.running:
            await process.process.wait()

    async def stop(self) -> None:
        await asyncio.gather(*(_stop(p) for p in self.running))

    def logs(self, lines: int = 40) -> str:
        logs = sorted(self.folder.glob("*.log"))
        return "\n".join(Path(log).read_text(errors="replace")[-4000:] for log in logs)
