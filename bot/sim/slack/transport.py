"""The Web API stand-in's HTTP side: a loopback server that can go down and come back.

`Listener` serves on one port for its whole life: an outage closes the listening socket and
resets open keep-alive connections (so clients see refusals and resets, as when Slack or the
path to it is down), and the end of the outage listens again on the same port. What to answer
is not decided here: every request goes to the `answer` callback, which returns an `Outcome`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import struct
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from bot.sim.http import ServerThread, TrackingHTTPServer

log = logging.getLogger(__name__)

_SERVE_POLL = 0.05
# Linger 0: closing the socket sends a TCP reset, not a clean FIN.
_LINGER_RESET = struct.pack("ii", 1, 0)


@dataclass
class Outcome:
    """What the HTTP layer sends back for one request."""

    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    reset_before: bool = False
    reset_after: bool = False


# (verb, target, headers, body, peer) -> what to send back.
Answer = Callable[[str, str, Mapping[str, str], bytes, str], Outcome]


def json_outcome(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> Outcome:
    """A JSON answer, as every Web API method gives."""
    return Outcome(status, json.dumps(body).encode(), headers=dict(headers or {}))


class _Server(TrackingHTTPServer):
    """The listening side; an outage cuts its open connections."""

    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], answer: Answer) -> None:
        self.answer = answer
        super().__init__(address, _Handler)

    def reset_connections(self) -> None:
        """Cut every open keep-alive connection with a TCP reset, as a dying server would."""
        for conn in self.take_connections():
            _reset(conn)


def _reset(conn: socket.socket) -> None:
    """Abort a connection: linger 0 makes the final close a TCP reset, not a clean FIN.

    `shutdown` acts at once even while the handler thread still holds the socket's files
    (a bare `close` would wait for them); the handler then sees EOF and closes for good.
    """
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        conn.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        conn.close()


class _Handler(BaseHTTPRequestHandler):
    """Reads one request, lets the stand-in answer it, writes the answer."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, a kept-alive client waits
    # ~40 ms for each answer (delayed ACK).
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, verb: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = dict(self.headers.items())
        peer = f"{self.client_address[0]}:{self.client_address[1]}"
        outcome = self.server.answer(verb, self.path, headers, raw, peer)
        if outcome.reset_before or outcome.reset_after:
            # Linger 0: when the server closes this socket after we return, the peer gets a RST.
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
            return
        self.send_response(outcome.status)
        self.send_header("Content-Type", outcome.content_type)
        self.send_header("Content-Length", str(len(outcome.body)))
        for name, value in outcome.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(outcome.body)

    def log_message(self, format: str, *args: Any) -> None:
        # The default writes every request to stderr; tests and the console want quiet.
        log.debug("slack stand-in: " + format, *args)


class Listener:
    """Serves `answer` on `host:port` in a daemon thread, with outages on the same port."""

    def __init__(self, answer: Answer, *, host: str, port: int) -> None:
        """Configure; nothing listens until `start()`. Port 0 picks a free one at start."""
        self.host = host
        self.port = port
        self._answer = answer
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._serving: ServerThread | None = None
        self._outage_timer: threading.Timer | None = None
        self._in_outage = False
        self._stopped = False

    @property
    def listening(self) -> bool:
        """Whether connections are accepted right now."""
        return self._server is not None

    @property
    def in_outage(self) -> bool:
        """Whether connections are being refused because of an outage."""
        return self._in_outage

    def start(self) -> None:
        """Listen on the configured port (a free one for 0) and serve in a daemon thread."""
        with self._lock:
            if self._server is None and not self._in_outage:
                self._stopped = False
                self._listen()

    def stop(self) -> None:
        """Stop listening, cut open connections and cancel a pending outage end."""
        with self._lock:
            self._stopped = True
            self._in_outage = False
            if self._outage_timer is not None:
                self._outage_timer.cancel()
                self._outage_timer = None
            self._close()

    def outage(self, seconds: float | None) -> None:
        """Stop listening and reset open connections; listen again after `seconds` (None: never)."""
        with self._lock:
            if self._stopped or self._server is None:
                raise RuntimeError("the stand-in is not running")
            self._in_outage = True
            self._close()
            if seconds is not None:
                timer = threading.Timer(seconds, self.end_outage)
                timer.daemon = True
                self._outage_timer = timer
                timer.start()

    def end_outage(self) -> None:
        """Listen again on the same port (no-op when not in an outage)."""
        with self._lock:
            if not self._in_outage or self._stopped:
                return
            self._in_outage = False
            self._outage_timer = None
            self._listen()

    def _listen(self) -> None:
        server = _Server((self.host, self.port), self._answer)
        self.port = server.server_address[1]
        self._server = server
        self._serving = ServerThread(server, name=f"slack-stand-in-{self.port}", poll=_SERVE_POLL)

    def _close(self) -> None:
        server, serving = self._server, self._serving
        self._server = self._serving = None
        if server is not None and serving is not None:
            serving.stop(cut=server.reset_connections)
