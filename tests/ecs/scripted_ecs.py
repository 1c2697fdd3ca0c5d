"""A tiny scripted ECS stand-in on 127.0.0.1: records each request and plays back set answers.

Not the simulator (bot/sim/ecs): it has no world, it just answers what a test scripts, and it
checks every request's V3 signature with the simulator's own check (the signer the client uses).
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from bot.ecs.signer import canonical_query, parse_v3_authorization
from bot.sim.ecs.auth import WireRequest, check_v3_signature
from bot.sim.ecs.codes import SimError

from support.loopback import LoopbackServer

ACCESS_KEY_ID = "test-key-id"
ACCESS_KEY_SECRET = "test-secret"


class Calls:
    """An EcsCallObserver that keeps every attempt."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []

    def on_call(self, action: str, code: str, seconds: float, attempt: int) -> None:
        assert seconds >= 0
        self.calls.append((action, code, attempt))


@dataclass(frozen=True)
class Reply:
    """One scripted answer; `hang` waits without answering, `drop` closes without answering."""

    status: int = 200
    body: bytes | dict[str, Any] = field(default_factory=lambda: {"RequestId": "REQ-OK"})
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False
    drop: bool = False


def error(
    code: str, status: int = 400, message: str = "%s", headers: dict[str, str] | None = None
) -> Reply:
    """An ECS-shaped JSON error answer."""
    body = {
        "RequestId": f"REQ-{code}",
        "HostId": "ecs.aliyuncs.com",
        "Code": code,
        "Message": message,
        "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}&product=Ecs",
    }
    return Reply(status=status, body=body, headers=dict(headers or {}))


@dataclass(frozen=True)
class Seen:
    """One request as it arrived on the wire."""

    method: str
    path: str
    raw_query: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    query_is_canonical: bool

    @property
    def action(self) -> str:
        return self.headers.get("x-acs-action", "")


Responder = Callable[[Seen], Reply]


class ScriptedEcs(LoopbackServer):
    """Loopback HTTP/1.1 server with a reply queue (or a responder) and a request log."""

    def __init__(self, secret: str, *, verify: bool = True) -> None:
        self.secret = secret
        # Benchmarks turn verification off so the server's own signing cost is not measured.
        self.verify = verify
        self.seen: list[Seen] = []
        self.replies: deque[Reply] = deque()
        self.responder: Responder | None = None
        self.release = threading.Event()
        self._lock = threading.Lock()
        super().__init__(self._handler_class(), poll=0.02)

    @property
    def url(self) -> str:
        return self.base_url

    def stop(self) -> None:
        self.release.set()  # a hanging answer ends now
        super().stop()

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def _next(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            if self.replies:
                return self.replies.popleft()
        return self.responder(seen) if self.responder else Reply()

    def _verify(self, request: WireRequest) -> bool:
        if not self.verify:
            return True
        try:
            key_id, names, signature = parse_v3_authorization(
                request.headers.get("authorization", "")
            )
            check_v3_signature(
                request, key_id=key_id, signed_names=names, signature=signature, secret=self.secret
            )
        except (ValueError, SimError):
            return False
        return request.raw_query == canonical_query(request.query)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in separate writes; without this, Nagle plus delayed
                # ACK adds ~40 ms to every answer.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output quiet."""

            def _handle(self) -> None:
                path, _, raw_query = self.path.partition("?")
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                params: dict[str, str] = {}
                for pair in raw_query.split("&") if raw_query else []:
                    key, _, value = pair.partition("=")
                    params[unquote(key)] = unquote(value)
                seen = Seen(
                    method=self.command,
                    path=path,
                    raw_query=raw_query,
                    params=params,
                    headers=headers,
                    body=body,
                    signature_ok=server._verify(
                        WireRequest(self.command, path, raw_query, self.headers, body)
                    ),
                    query_is_canonical=raw_query == canonical_query(params),
                )
                reply = server._next(seen)
                if reply.hang:
                    server.release.wait(timeout=10)
                    self.close_connection = True
                    return
                if reply.drop:
                    self.close_connection = True
                    return
                payload = (
                    reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                )
                self.send_response(reply.status)
                content_type = "application/json;charset=utf-8"
                if isinstance(reply.body, bytes):
                    content_type = reply.headers.get("content-type", "text/plain")
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(payload)))
                for name, value in reply.headers.items():
                    if name != "content-type":
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_POST = _handle
            do_GET = _handle

        return Handler


@contextmanager
def running(secret: str, *, verify: bool = True) -> Iterator[ScriptedEcs]:
    """Start a scripted server for the length of a `with` block."""
    with ScriptedEcs(secret, verify=verify) as server:
        yield server
