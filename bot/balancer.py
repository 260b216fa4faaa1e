"""A small local load balancer: one address in front of several `apbot serve` instances.

Each request goes to the next backend in turn (round robin), with its method, path, query,
headers and body passed on unchanged (plus `X-Forwarded-For`), so Slack's signature (an HMAC of the raw body and its
timestamp header) still verifies on whichever instance gets it. The answer comes back as the
backend gave it, plus an `X-Served-By` header naming that backend. A backend that refuses the
connection is skipped for that request (the request never reached it, so trying the next one
cannot do anything twice); when none answers, the caller gets 502.

For trying several instances on one machine and for the tests; in production put a real load
balancer (nginx, a cloud load balancer) in front, with the same round-robin idea.
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from collections.abc import Sequence

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

log = logging.getLogger(__name__)

SERVED_BY = "X-Served-By"
# Headers that describe one hop's connection, not the request: never passed on (RFC 9110 7.6.1).
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=5)


def parse_backend(text: str) -> str:
    """`127.0.0.1:3981` (or `http://127.0.0.1:3981`) -> `127.0.0.1:3981`."""
    address = text.strip().removeprefix("http://").rstrip("/")
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"{text!r} is not HOST:PORT")
    return address


class Balancer:
    """Round robin over `backends` (each `host:port`), as an aiohttp application."""

    def __init__(self, backends: Sequence[str]) -> None:
        if not backends:
            raise ValueError("a balancer needs at least one backend")
        self.backends = [parse_backend(b) for b in backends]
        self.served: Counter[str] = Counter()
        self._turn = itertools.count()
        self._client: aiohttp.ClientSession | None = None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.forward)
        app.on_startup.append(self._open)
        app.on_cleanup.append(self._close)
        return app

    async def _open(self, _: web.Application) -> None:
        # No limit of our own on connections: each backend's own queue is what we measure.
        connector = aiohttp.TCPConnector(limit=0)
        self._client = aiohttp.ClientSession(
            connector=connector, timeout=TIMEOUT, auto_decompress=False
        )

    async def _close(self, _: web.Application) -> None:
        if self._client is not None:
            await self._client.close()

    def _order(self) -> list[str]:
        """The backends to try for one request: the next in turn first, then the others."""
        start = next(self._turn) % len(self.backends)
        return self.backends[start:] + self.backends[:start]

    async def forward(self, request: web.Request) -> web.StreamResponse:
        """Pass one request to a backend and its answer back."""
        assert self._client is not None
        body = await request.read()
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        # Say that the request was passed on, and from where, as any proxy does: a backend
        # must not take it for one made on its own machine (Teams' local trial refuses it).
        headers.append(("X-Forwarded-For", request.remote or "unknown"))
        for backend in self._order():
            url = f"http://{backend}{request.rel_url}"
            try:
                async with self._client.request(
                    request.method, url, headers=headers, data=body, allow_redirects=False
                ) as answer:
                    content = await answer.read()
                    reply_headers = [
                        (k, v) for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP
                    ]
                    status = answer.status
            except aiohttp.ClientConnectorError as error:
                log.warning(
                    "balancer: %s refused the connection (%s); trying the next", backend, error
                )
                continue
            self.served[backend] += 1
            response_headers = CIMultiDict(reply_headers)
            response_headers[SERVED_BY] = backend
            return web.Response(status=status, body=content, headers=response_headers)
        return web.json_response({"error": "No backend answered."}, status=502)
