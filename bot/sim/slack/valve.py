"""A WebSocket server connection whose socket can go dead or be reset, for the Socket Mode stand-in.

`Valve` sits between the `websockets` connection and its TCP socket. Open, bytes pass. Silenced,
bytes vanish both ways and nothing is closed: the app's TCP connection stays established while
its pings go unanswered, which is what a dead network path (a NAT that forgot the flow, a
partition) looks like from the app, and the one drop only keepalive pings can notice. Reset, the
connection ends with a TCP RST and no close frame.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable
from enum import Enum
from typing import Any, cast

from websockets.frames import Frame, Opcode
from websockets.server import ServerProtocol
from websockets.sync.server import Server, ServerConnection


class _Tap(Enum):
    OPEN = "open"
    SILENT = "silent"
    RESET = "reset"


class Valve:
    """The socket of one connection, with a tap (see the module docstring)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._tap = _Tap.OPEN
        self._peer_closed = False
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        # fileno, getsockname, getpeername, settimeout, setsockopt: the socket's own.
        return getattr(self._sock, name)

    def recv(self, bufsize: int) -> bytes:
        """Bytes from the app; while silenced they are read and thrown away (EOF still ends)."""
        while True:
            if self._tap is _Tap.RESET:
                return b""
            data = self._sock.recv(bufsize)
            if not data:
                self._peer_closed = True
                return b""
            if self._tap is _Tap.OPEN:
                return data

    def sendall(self, data: bytes) -> None:
        """Bytes to the app; they never arrive once the tap is not open."""
        if self._tap is _Tap.OPEN:
            self._sock.sendall(data)

    def shutdown(self, how: int) -> None:
        """A FIN for the app, only while open (a dead path carries none)."""
        if self._tap is _Tap.OPEN:
            self._sock.shutdown(how)

    def close(self) -> None:
        """Close; a silenced socket stays open (no FIN) until the app leaves or `release()`."""
        with self._lock:
            if self._tap is _Tap.SILENT and not self._peer_closed:
                return
            if self._tap is _Tap.RESET:
                with contextlib.suppress(OSError):
                    self._sock.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
            self._sock.close()

    def silence(self) -> None:
        """From now on nothing goes in or out, and nothing tells the app."""
        self._tap = _Tap.SILENT

    def reset(self) -> None:
        """End with a TCP reset: wake the reader, which sees EOF and closes with linger 0."""
        self._tap = _Tap.RESET
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RD)

    def release(self) -> None:
        """Really close a silenced socket (the stand-in is stopping)."""
        with self._lock:
            if self._tap is not _Tap.SILENT:
                return
            self._peer_closed = True
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()


class ValvedConnection(ServerConnection):
    """A `websockets` server connection on a `Valve`, reporting the app's pings as they come."""

    def __init__(
        self, sock: socket.socket, protocol: ServerProtocol, server: Server, **kwargs: Any
    ) -> None:
        self.valve = Valve(sock)
        self.ticket = ""
        self.on_ping: Callable[[], None] | None = None
        super().__init__(cast(socket.socket, self.valve), protocol, server, **kwargs)

    def process_event(self, event: Any) -> None:
        """Note a ping (the protocol has already answered it), then carry on as usual."""
        if isinstance(event, Frame) and event.opcode is Opcode.PING and self.on_ping is not None:
            self.on_ping()
        super().process_event(event)
