"""The loopback HTTP server both simulators run on (stdlib, one thread per connection)."""

from __future__ import annotations

import socket
import threading
from http.server import ThreadingHTTPServer
from typing import Any


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
