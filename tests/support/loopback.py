"""A stdlib request handler served on 127.0.0.1 (a free port) by the simulators' own thread."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

from bot.sim.http import Lifecycle, ServerThread


class LoopbackServer(Lifecycle):
    """The tests' small scripted servers: bind at once, serve from `start()` (or `with`)."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], *, poll: float = 0.05) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._poll = poll
        self._serving: ServerThread | None = None

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` (no trailing slash)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        if self._serving is None:
            self._serving = ServerThread(self._server, name="test-loopback", poll=self._poll)
        return self

    def stop(self) -> None:
        if self._serving is not None:
            self._serving.stop()
            self._serving = None
