"""How the simulators and the tests' servers serve: a tracking HTTP server, in a thread.

`TrackingHTTPServer` is the loopback HTTP server both simulators run on (stdlib, one thread
per connection); `ServerThread` runs any server's accept loop in a daemon thread and stops it;
`Lifecycle` makes a part with `start`/`stop` a context manager.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol, Self


class TrackingHTTPServer(ThreadingHTTPServer):
    """Remembers its open connections, so stopping (or a staged outage) can cut keep-alive ones.

    Idle keep-alive handler threads otherwise wait for their client's next request forever.
    """

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: Any) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def take_connections(self) -> list[socket.socket]:
        """The connections open now, forgotten here (the caller cuts them)."""
        with self._open_lock:
            connections = list(self._open)
            self._open.clear()
        return connections


class Lifecycle:
    """`with part:` means `part.start()` … `part.stop()`; every stand-in and test server has it."""

    def start(self) -> Self:
        """Start serving; returns the part, so `Part().start()` reads as one step."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop serving (safe to call twice)."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class Servable(Protocol):
    """A server with a blocking accept loop that another thread can end."""

    def serve_forever(self) -> None: ...

    def shutdown(self) -> None: ...


class ServerThread:
    """One server's accept loop in a daemon thread, and the stop that undoes it."""

    def __init__(self, server: Servable, *, name: str, poll: float | None = 0.02) -> None:
        """Start serving now; `poll` is how quickly a socketserver notices `stop()`."""
        self.server = server
        kwargs = {} if poll is None else {"poll_interval": poll}
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs=kwargs, name=name, daemon=True
        )
        self._thread.start()

    def stop(self, *, cut: Callable[[], None] | None = None, timeout: float = 5.0) -> None:
        """Stop accepting, release the port, `cut` open connections, wait for the thread."""
        self.server.shutdown()
        if isinstance(self.server, socketserver.BaseServer):
            self.server.server_close()
        if cut is not None:
            cut()  # idle keep-alive handler threads would otherwise wait for their client
        self._thread.join(timeout)
