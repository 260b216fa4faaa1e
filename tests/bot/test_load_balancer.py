"""The production load balancer (deploy/haproxy/haproxy.cfg, run by Debian's HAProxy): requests
reach the instances in turn, exactly as Slack sent them, whoever sends them (nothing sticky);
an instance that is down or unhealthy is left out; an oversized body never reaches one."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.load_balancer import (
    PRODUCTION_CONFIG,
    SERVED_BY,
    balancer_config,
    free_port,
    require_haproxy,
    running_haproxy,
)

DEPLOY = PRODUCTION_CONFIG.parents[1]


class Instance:
    """An instance that answers with everything it received, and says if it is healthy."""

    def __init__(self, name: str, *, healthy: bool = True) -> None:
        self.name = name
        self.healthy = healthy
        self.received: list[str] = []  # paths, health checks left out

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.answer)
        return app

    async def answer(self, request: web.Request) -> web.Response:
        if request.path == "/healthz":
            return web.json_response({"ok": self.healthy}, status=200 if self.healthy else 503)
        body = await request.read()
        self.received.append(request.path)
        if request.path == "/missing":
            return web.json_response({"error": "not here"}, status=404)
        echoed: dict[str, Any] = {
            "name": self.name,
            "method": request.method,
            "path_qs": request.path_qs,
            # Header names are case-insensitive (HAProxy passes them on in lower case).
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "body": body.decode(),
        }
        return web.json_response(echoed, headers={"X-Instance-Own": self.name})


def _closed_port() -> str:
    """An address where nothing listens."""
    return f"127.0.0.1:{free_port()}"


async def test_requests_go_round_robin_and_arrive_as_slack_sent_them(tmp_path: Path) -> None:
    one, two = Instance("one"), Instance("two")
    async with TestServer(one.app()) as s1, TestServer(two.app()) as s2:
        servers = [("web1", f"127.0.0.1:{s1.port}"), ("web2", f"127.0.0.1:{s2.port}")]
        async with (
            running_haproxy(servers, folder=tmp_path) as balancer,
            aiohttp.ClientSession() as http,
        ):
            body = "token=legacy&command=%2Fap&text=absent+AP-7K3Q"
            signed = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": "1800000000",
                "X-Slack-Signature": "v0=abc123",
                "Cookie": "session=whoever",  # nothing sticks to it
            }
            served, names = [], []
            for _ in range(4):
                url = balancer.url + "/slack/events?x=1"
                async with http.post(url, data=body, headers=signed) as response:
                    echoed = await response.json()
                    assert response.status == 200
                    assert "Set-Cookie" not in response.headers
                    assert response.headers["X-Instance-Own"] == echoed["name"]
                    served.append(response.headers[SERVED_BY])
                names.append(echoed["name"])
                assert echoed["method"] == "POST" and echoed["path_qs"] == "/slack/events?x=1"
                assert echoed["body"] == body  # byte for byte: Slack's signature still verifies
                for key, value in signed.items():
                    assert echoed["headers"][key.lower()] == value
                assert echoed["headers"]["x-forwarded-for"] == "127.0.0.1"
            async with http.get(balancer.url + "/missing") as missing:
                assert missing.status == 404 and (await missing.json()) == {"error": "not here"}
    assert names == ["one", "two", "one", "two"]
    assert served == ["web1", "web2", "web1", "web2"]


async def test_an_instance_that_refuses_connections_is_skipped_and_none_up_is_503(
    tmp_path: Path,
) -> None:
    up = Instance("up")
    async with TestServer(up.app()) as server:
        servers = [("down", _closed_port()), ("up", f"127.0.0.1:{server.port}")]
        async with (
            running_haproxy(servers, folder=tmp_path / "a") as balancer,
            aiohttp.ClientSession() as http,
        ):
            for _ in range(4):
                async with http.post(balancer.url + "/slack/events", data="x") as response:
                    assert response.status == 200
                    assert (await response.json())["name"] == "up"
        assert up.received == ["/slack/events"] * 4  # each once: never sent twice
    async with (
        running_haproxy([("down", _closed_port())], folder=tmp_path / "b") as b,
        aiohttp.ClientSession() as http,
        http.post(b.url + "/slack/events", data="x") as response,
    ):
        assert response.status == 503


async def test_an_instance_whose_healthz_fails_is_left_out(tmp_path: Path) -> None:
    """/healthz answers 503 when the database or the key does not work: once HAProxy's checks
    see it (the first when it starts, then two failures in a row) it sends it nothing more."""
    sick, well = Instance("sick", healthy=False), Instance("well")
    async with TestServer(sick.app()) as s1, TestServer(well.app()) as s2:
        servers = [("sick", f"127.0.0.1:{s1.port}"), ("well", f"127.0.0.1:{s2.port}")]
        async with (
            running_haproxy(servers, folder=tmp_path) as balancer,
            aiohttp.ClientSession() as http,
        ):

            async def served_by() -> str:
                async with http.get(balancer.url + "/slack/events") as response:
                    return response.headers[SERVED_BY]

            deadline = time.monotonic() + 30
            while "sick" in {await served_by(), await served_by()}:  # two turns: both servers
                assert time.monotonic() < deadline, "the sick instance was never left out"
                await asyncio.sleep(0.2)  # HAProxy's checks run on its own (real) clock
            after = Counter([await served_by() for _ in range(6)])
    assert after == {"well": 6}


async def test_a_body_over_one_mebibyte_is_refused_before_an_instance(tmp_path: Path) -> None:
    one = Instance("one")
    async with TestServer(one.app()) as server:
        servers = [("web1", f"127.0.0.1:{server.port}")]
        async with (
            running_haproxy(servers, folder=tmp_path) as balancer,
            aiohttp.ClientSession() as http,
        ):
            big = b"x" * (1024 * 1024 + 1)
            async with http.post(balancer.url + "/api/messages", data=big) as response:
                assert response.status == 413
            async with http.post(balancer.url + "/api/messages", data=big[:-1]) as response:
                assert response.status == 200
    assert one.received == ["/api/messages"]


def test_the_tests_run_the_production_frontend_and_backend_unchanged() -> None:
    """Only `global`, `bind` and `server` lines differ from deploy/haproxy/haproxy.cfg."""
    config = balancer_config("127.0.0.1:8000", [("instance-1", "127.0.0.1:9001")])
    assert "    bind 127.0.0.1:8000" in config and "ssl" not in config
    assert "    server instance-1 127.0.0.1:9001" in config
    assert "chroot" not in config
    for line in (
        "balance roundrobin",
        "http-check send meth GET uri /healthz",
        "option forwardfor",
        "timeout server 10s",
        "http-response set-header X-Served-By %[srv_name]",
    ):
        assert f"    {line}\n" in config
    assert "cookie" not in config.lower() and "balance source" not in config


def _self_signed_pem(folder: Path) -> Path:
    """A certificate and its key in one PEM file, as HAProxy's `crt` takes them."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "apsafeguard.test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = folder / "apbot.pem"
    pem.write_bytes(
        certificate.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pem


@pytest.mark.parametrize("where", ["systemd", "compose"])
def test_haproxy_accepts_the_whole_production_file(where: str, tmp_path: Path) -> None:
    """`haproxy -c` on deploy/haproxy/haproxy.cfg as it is, global section and TLS included,
    with compose's variables or without them (the host's defaults)."""
    env = {**os.environ, "APBOT_TLS_CERT": str(_self_signed_pem(tmp_path))}
    if where == "compose":
        env.update(HAPROXY_LOG="stdout", APBOT_WEB1="localhost:3978")
    checked = subprocess.run(
        [require_haproxy(), "-c", "-f", str(PRODUCTION_CONFIG)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Configuration file is valid" in checked.stdout


def test_compose_and_systemd_balance_over_the_web_instances_the_config_lists() -> None:
    """The config's servers, compose's web services and the systemd target's web units agree;
    the scheduler is behind none of them."""
    config = PRODUCTION_CONFIG.read_text()
    servers = re.findall(r'^\s+server (\w+) "\$\{(\w+)-127\.0\.0\.1:(\d+)\}"', config, re.M)
    assert [name for name, _, _ in servers] == ["web1", "web2", "web3"]
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    balancer = compose["balancer"]
    assert "./haproxy/haproxy.cfg:/etc/haproxy/haproxy.cfg:ro" in balancer["volumes"]
    assert {variable: balancer["environment"][variable] for _, variable, _ in servers} == {
        f"APBOT_WEB{n}": f"web{n}:3978" for n in (1, 2, 3)
    }
    for n in (1, 2, 3):
        environment = compose[f"web{n}"]["environment"]
        assert environment["SCHEDULER_ENABLED"] == "false" and environment["PORT"] == "3978"
    assert compose["scheduler"]["environment"]["SCHEDULER_ENABLED"] == "true"
    target = (DEPLOY / "systemd" / "apbot.target").read_text()
    assert re.findall(r"apbot-web@(\d+)\.service", target) == [port for _, _, port in servers]
    assert "SCHEDULER_ENABLED=false" in (DEPLOY / "systemd" / "apbot-web@.service").read_text()
