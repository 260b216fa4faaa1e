"""`apbot balance`: requests reach the instances in turn, exactly as they were sent, and the
answer says which instance served it."""

from __future__ import annotations

import socket
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.balancer import SERVED_BY, Balancer
from bot.cli import build_parser


def _backend(name: str) -> web.Application:
    """An instance that answers with everything it received."""

    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        if request.path == "/missing":
            return web.json_response({"error": "not here"}, status=404)
        answer: dict[str, Any] = {
            "name": name,
            "method": request.method,
            "path_qs": request.path_qs,
            "headers": dict(request.headers),
            "body": body.decode(),
        }
        return web.json_response(answer, headers={"X-Backend-Own": name})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


def _closed_port() -> str:
    """An address where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


async def test_requests_go_round_robin_and_arrive_unchanged() -> None:
    async with TestServer(_backend("one")) as one, TestServer(_backend("two")) as two:
        backends = [f"127.0.0.1:{one.port}", f"127.0.0.1:{two.port}"]
        async with TestClient(TestServer(Balancer(backends).app())) as client:
            served, names = [], []
            body = "token=legacy&command=%2Fap&text=absent+AP-7K3Q"
            signed = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": "1800000000",
                "X-Slack-Signature": "v0=abc123",
            }
            for _ in range(4):
                response = await client.post("/slack/events?x=1", data=body, headers=signed)
                echoed = await response.json()
                assert response.status == 200
                assert echoed["method"] == "POST" and echoed["path_qs"] == "/slack/events?x=1"
                assert echoed["body"] == body
                for key, value in signed.items():
                    assert echoed["headers"][key] == value
                assert response.headers["X-Backend-Own"] == echoed["name"]
                served.append(response.headers[SERVED_BY])
                names.append(echoed["name"])
            missing = await client.get("/missing")
            assert missing.status == 404 and (await missing.json()) == {"error": "not here"}
    assert served == [backends[0], backends[1], backends[0], backends[1]]
    assert names == ["one", "two", "one", "two"]


async def test_an_instance_that_is_down_is_skipped_and_none_up_is_502() -> None:
    async with TestServer(_backend("up")) as up:
        down = _closed_port()
        balancer = Balancer([down, f"127.0.0.1:{up.port}"])
        async with TestClient(TestServer(balancer.app())) as client:
            for _ in range(3):
                response = await client.get("/healthz")
                assert response.status == 200
                assert (await response.json())["name"] == "up"
        assert balancer.served == {f"127.0.0.1:{up.port}": 3}
    async with TestClient(TestServer(Balancer([_closed_port()]).app())) as client:
        response = await client.get("/healthz")
        assert response.status == 502


def test_the_command_line_takes_one_to_per_instance() -> None:
    args = build_parser().parse_args(
        ["balance", "--port", "3978", "--to", "127.0.0.1:3981", "--to", "127.0.0.1:3982"]
    )
    assert args.port == 3978 and args.backends == ["127.0.0.1:3981", "127.0.0.1:3982"]
