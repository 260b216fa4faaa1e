"""HAProxy as production runs it (deploy/haproxy/haproxy.cfg), in front of instances on this
machine, for the tests and benchmarks.

`balancer_config` takes the production file and keeps its `defaults`, its frontend and its backend
as they are (round robin, health checks on /healthz, timeouts, X-Forwarded-For, the body limit,
the X-Served-By header); it puts in its own `global` (no chroot or user to switch to, logging to
stderr), a plain-HTTP `bind` on a local port instead of TLS on 443, and one `server` line per
instance. `start_haproxy` runs Debian's `haproxy` with it in the foreground; `running_haproxy`
does that for the length of an `async with`.

Without the `haproxy` binary, `require_haproxy` skips the test saying how to install it; in CI
(`CI=true`, which `.ci/run` sets after installing it) it fails instead.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
PRODUCTION_CONFIG = REPOSITORY / "deploy" / "haproxy" / "haproxy.cfg"
FRONTEND = "frontend apbot"
BACKEND = "backend apbot_web"
SERVED_BY = "X-Served-By"  # the header the production config adds: the server's name
INSTALL = "apt-get install haproxy"


def free_port() -> int:
    """A port nothing listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class HaproxyMissing(RuntimeError):
    """No `haproxy` binary on this machine."""


def haproxy_binary() -> str:
    """The path of Debian's `haproxy` (in /usr/sbin, which a user's PATH may not hold)."""
    found = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise HaproxyMissing(f"HAProxy is not installed (`{INSTALL}` as root)")
    return found


def require_haproxy() -> str:
    """`haproxy_binary()` for a test: skipped without it on a newcomer's machine, failed in CI."""
    try:
        return haproxy_binary()
    except HaproxyMissing as error:
        if os.environ.get("CI", "").lower() in {"true", "1", "yes"}:
            pytest.fail(f"{error}; CI must install it (.ci/run does)")
        pytest.skip(f"{error}; this test runs the production load balancer")


def _sections(text: str) -> list[tuple[str, list[str]]]:
    """The config as (header, body lines) in order; comments and blank lines dropped."""
    sections: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            sections.append((line.strip(), []))
        elif sections:
            sections[-1][1].append(line.rstrip())
    return sections


def balancer_config(
    listen: str,
    servers: Sequence[tuple[str, str]],
    *,
    log_level: str = "info",
    production: str | None = None,
) -> str:
    """The production config with its `global` replaced, listening on `listen` (host:port,
    plain HTTP), balancing over `servers` ((name, host:port) pairs). `log_level`: `info` logs
    each request, `warning` only HAProxy's own trouble."""
    text = PRODUCTION_CONFIG.read_text() if production is None else production
    sections = _sections(text)
    headers = [header for header, _ in sections]
    for needed in ("global", "defaults", FRONTEND, BACKEND):
        if needed not in headers:
            raise ValueError(f"{PRODUCTION_CONFIG} has no `{needed}` section")
    out = ["global", "    maxconn 4096", f"    log stderr format raw local0 {log_level}"]
    for header, body in sections:
        if header == "global":
            continue
        out.append(header)
        kept = [line for line in body if line.split()[0] not in {"bind", "server"}]
        if header == FRONTEND:
            kept.insert(0, f"    bind {listen}")
        if header == BACKEND:
            kept += [f"    server {name} {address}" for name, address in servers]
        out += kept
    return "\n".join(out) + "\n"


def _write_config(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "haproxy.cfg"
    config.write_text(text)
    return config


async def start_haproxy(
    listen: str,
    servers: Sequence[tuple[str, str]],
    *,
    folder: Path,
    log_level: str = "info",
) -> tuple[asyncio.subprocess.Process, Path]:
    """HAProxy in the foreground with `balancer_config(...)` written to `folder`; its output goes
    to `folder/balancer.log`. Returns the process and the log."""
    binary = haproxy_binary()
    config = _write_config(folder, balancer_config(listen, servers, log_level=log_level))
    log = folder / "balancer.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            binary,
            "-db",  # stay in the foreground: the caller stops it
            "-f",
            str(config),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    return process, log


@dataclass
class RunningBalancer:
    """HAProxy running: its address, process and log."""

    address: str
    process: asyncio.subprocess.Process
    log: Path

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


async def _listening(balancer: RunningBalancer, within: float) -> None:
    """Wait until HAProxy accepts connections; fail at once if it has exited."""
    host, _, port = balancer.address.rpartition(":")
    deadline = time.monotonic() + within
    while True:
        if balancer.process.returncode is not None:
            raise RuntimeError(f"haproxy exited early:\n{balancer.log_text()}")
        try:
            _, writer = await asyncio.open_connection(host, int(port))
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"haproxy did not listen on {balancer.address}") from None
            await asyncio.sleep(0.05)  # polling a port for readiness, with a deadline
            continue
        writer.close()
        await writer.wait_closed()
        return


async def stop_haproxy(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        await process.wait()


@asynccontextmanager
async def running_haproxy(
    servers: Sequence[tuple[str, str]], *, folder: Path, log_level: str = "info"
) -> AsyncIterator[RunningBalancer]:
    """HAProxy on a free local port in front of `servers`, listening when this yields;
    stopped at the end. For tests: skipped (failed in CI) without HAProxy."""
    require_haproxy()
    address = f"127.0.0.1:{free_port()}"
    process, log = await start_haproxy(address, servers, folder=folder, log_level=log_level)
    balancer = RunningBalancer(address, process, log)
    try:
        await _listening(balancer, within=10.0)
        yield balancer
    finally:
        await stop_haproxy(process)
