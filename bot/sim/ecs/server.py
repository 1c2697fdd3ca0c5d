"""The HTTP server: ECS's RPC protocol on `/`, the control API on `/_sim/`, and EcsSimulator."""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from http.server import BaseHTTPRequestHandler
from typing import Any, Self
from urllib.parse import urlsplit

from bot.sim.ecs.auth import Gateway, WireRequest
from bot.sim.ecs.control import CONTROL_PREFIX, ControlApi
from bot.sim.ecs.counters import CallCounters
from bot.sim.ecs.faults import Faults
from bot.sim.ecs.fixture import demo_world
from bot.sim.ecs.render import Reply
from bot.sim.ecs.service import EcsService
from bot.sim.ecs.world import AccessKey, World
from bot.sim.http import Lifecycle, ServerThread, TrackingHTTPServer

__all__ = ["DEFAULT_KEYS", "EcsSimulator"]

log = logging.getLogger(__name__)

# The console's and `eni-bot ecs-sim`'s key pair unless told otherwise (CONTRACT.md).
DEFAULT_KEYS: Mapping[str, str] = {"sim-access-key": "sim-access-secret"}
_MAX_BODY = 1 << 20


class _HttpServer(TrackingHTTPServer):
    """The simulator's server; stop() cuts keep-alive connections so their threads end."""

    def __init__(self, address: tuple[str, int], simulator: EcsSimulator) -> None:
        self.simulator = simulator
        super().__init__(address, _Handler)

    def cut_connections(self) -> None:
        """Shut every open connection so idle keep-alive handler threads end."""
        for sock in self.take_connections():
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as ECS's gateway does
    # Headers and body leave in separate writes; without TCP_NODELAY, Nagle plus the client's
    # delayed ACK stall each keep-alive answer by ~40 ms.
    disable_nagle_algorithm = True
    server_version = "EcsSimulator/1.0"
    sys_version = ""
    server: _HttpServer

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.client_address[0], *args)

    def _handle(self) -> None:
        body = self._read_body()
        if body is None:
            return
        split = urlsplit(self.path)
        sim = self.server.simulator
        if split.path.startswith(CONTROL_PREFIX):
            reply = sim.control.handle(self.command, split.path, body, self.client_address[0])
        else:
            request = WireRequest(
                method=self.command,
                path=split.path or "/",
                raw_query=split.query,
                headers=self.headers,
                body=body,
            )
            reply = sim.service.handle(
                request, host_id=self.headers.get("host") or "ecs.aliyuncs.com"
            )
        self._send(reply)

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            return self._read_chunked()
        length = self.headers.get("content-length")
        if not length:
            return b""
        if not length.isdigit() or int(length) > _MAX_BODY:
            self.send_error(413 if length.isdigit() else 400)
            return None
        return self.rfile.read(int(length))

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                # Trailer lines end with an empty line.
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, reply: Reply) -> None:
        if reply.drop_connection:
            # Applied but never answered: the client sees the connection close with no response.
            self.close_connection = True
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)


class EcsSimulator(Lifecycle):
    """An ECS endpoint on loopback for tests, the console and other teams' automation.

    Use as a context manager, or call start()/stop(). `url` is the base URL to give a client
    (`ENIBOT_ECS_ENDPOINT`). Keys: the world's fixture keys plus `keys` (default
    sim-access-key/sim-access-secret); `sts_tokens` maps a key ID to the STS token its
    requests must carry. `wrap_service` decorates the service that answers every ECS call
    (the console counts calls in flight, tests record them), at construction.
    """

    def __init__(
        self,
        world: World | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        keys: Mapping[str, str] | None = None,
        sts_tokens: Mapping[str, str] | None = None,
        now: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        wrap_service: Callable[[EcsService], EcsService] | None = None,
    ) -> None:
        self.world = world if world is not None else demo_world()
        self.host = host
        self.port = port
        self.faults = Faults(self.world.faults)
        self.calls = CallCounters()
        # Copies, so run-time changes (STS tokens, add_key) never leak into the world object.
        self._keys: dict[str, AccessKey] = {
            key_id: replace(key) for key_id, key in self.world.access_keys.items()
        }
        for key_id, secret in (DEFAULT_KEYS if keys is None else keys).items():
            known = self._keys.get(key_id)
            self._keys[key_id] = (
                AccessKey(key_id, secret) if known is None else replace(known, secret=secret)
            )
        for key_id, token in (sts_tokens or {}).items():
            if key_id not in self._keys:
                raise ValueError(f"sts_tokens names {key_id!r}, which is not a configured key")
            self._keys[key_id] = replace(self._keys[key_id], security_token=token)
        self.gateway = Gateway(self._keys.get, now=now)
        service = EcsService(
            world=self.world,
            faults=self.faults,
            counters=self.calls,
            gateway=self.gateway,
            sleep=sleep,
        )
        self.service = wrap_service(service) if wrap_service is not None else service
        self.control = ControlApi(world=self.world, faults=self.faults, counters=self.calls)
        self._server: _HttpServer | None = None
        self._serving: ServerThread | None = None

    def add_key(self, key: AccessKey) -> None:
        """Accept another key pair (with its account conditions) from now on."""
        self._keys[key.access_key_id] = key

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321 (only meaningful once started)."""
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        address = self._server.server_address
        host = address[0].decode() if isinstance(address[0], bytes) else str(address[0])
        port = address[1]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"

    def start(self) -> Self:
        """Bind and serve in a daemon thread; returns once the socket is listening."""
        if self._server is None:
            self._server = _HttpServer((self.host, self.port), self)
            self._serving = ServerThread(self._server, name="ecs-simulator", poll=0.02)
        return self

    def stop(self) -> None:
        """Stop serving and cut open connections."""
        server, serving = self._server, self._serving
        if server is None or serving is None:
            return
        serving.stop(cut=server.cut_connections)
        self._server = self._serving = None

    def reset_counters(self) -> None:
        """Forget every call count."""
        self.calls.reset()
