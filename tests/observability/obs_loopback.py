"""A scripted HTTP server on 127.0.0.1: answers POSTs from a queue, then a default answer."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from support.loopback import LoopbackServer


@dataclass(frozen=True)
class Answer:
    """One HTTP answer."""

    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


class ScriptedServer(LoopbackServer):
    """Serves queued `Answer`s in order, then `default`; counts requests."""

    def __init__(self, default: Answer | None = None) -> None:
        self.default = default or Answer()
        self.queue: deque[Answer] = deque()
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with server._lock:
                    server.requests += 1
                    answer = server.queue.popleft() if server.queue else server.default
                raw = json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._lock = threading.Lock()
        super().__init__(Handler)

    @property
    def url(self) -> str:
        return self.base_url + "/"
