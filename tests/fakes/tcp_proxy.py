"""A TCP proxy between the bot and its PostgreSQL server, to take the database away for real.

The bot's engine connects to the proxy instead of the server; the proxy copies bytes both ways.
`cut()` closes every open connection at once and stops listening, so new connections are
refused (ECONNREFUSED), as when the database server goes down; `restore()` listens again on the
same port. `cut_when(b"...")` cuts at the moment the bot sends bytes containing that text (a
statement's SQL, say), before they reach the server: the database goes away mid-transaction.

    async with TcpProxy("127.0.0.1", 5432) as proxy:
        url = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
        ...
        proxy.cut()
        await proxy.restore()
"""

from __future__ import annotations

import asyncio
from types import TracebackType


class TcpProxy:
    """See the module docstring."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.cuts = 0
        self._server: asyncio.Server | None = None
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._pumps: set[asyncio.Task[None]] = set()
        self._trigger: bytes | None = None
        self.cut_happened = asyncio.Event()

    async def __aenter__(self) -> TcpProxy:
        await self.restore()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.cut()
        for pump in list(self._pumps):
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def restore(self) -> None:
        """Accept connections again (on the same port as before, once there is one)."""
        if self._server is None:
            self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
            self.port = self._server.sockets[0].getsockname()[1]

    def cut(self) -> None:
        """Close every connection now and refuse new ones."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for client, server in list(self._links):
            client.transport.abort()
            server.transport.abort()
        self._links.clear()
        self.cuts += 1
        self.cut_happened.set()

    def cut_when(self, text: bytes) -> None:
        """Cut when the bot next sends `text` (it never reaches the server)."""
        self._trigger = text

    async def _accept(self, client_in: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        try:
            server_in, server = await asyncio.open_connection(*self.target)
        except OSError:
            client.transport.abort()
            return
        link = (client, server)
        self._links.add(link)
        for pump in (self._pump(client_in, server, watch=True), self._pump(server_in, client)):
            task = asyncio.create_task(pump)
            self._pumps.add(task)
            task.add_done_callback(self._pumps.discard)

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, watch: bool = False
    ) -> None:
        try:
            while data := await source.read(65536):
                if watch and self._trigger is not None and self._trigger in data:
                    self._trigger = None
                    self.cut()
                    return
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            sink.transport.abort()
