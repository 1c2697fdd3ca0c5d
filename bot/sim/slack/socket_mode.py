"""`SocketModeStandIn`: Slack's Socket Mode on loopback, a real WebSocket server.

The app calls `apps.connections.open` on the Web API stand-in with its app-level token and gets
a fresh `ws://127.0.0.1:PORT/link/?ticket=…` URL; a ticket opens one connection, once. Each
connection starts with `hello`. `deliver()` sends an envelope on the newest live connection (or
queues it until one exists), records the ack that names its `envelope_id`, and redelivers it
with `retry_attempt` counted up while no ack came within `ack_timeout`, as Slack retries.

Faults, for tests: `disconnect()` sends Slack's `disconnect` (`refresh_requested`); `drop()`
ends a connection without a close frame, either as a dead network path (`Closed.SILENT`:
nothing in or out and no FIN, so only the app's own pings can tell) or as a TCP reset;
`fail_next_ack()` loses the next ack, optionally dropping its connection with it.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Self, TypeVar

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from bot.sim.http import Lifecycle, ServerThread
from bot.sim.slack.arguments import ApiError, Params
from bot.sim.slack.envelopes import (
    Ack,
    Closed,
    ConnectionRecord,
    DisconnectReason,
    Envelope,
    EnvelopeType,
    Payload,
    disconnect_message,
    hello_message,
)
from bot.sim.slack.ledger import Ledger
from bot.sim.slack.tickets import Tickets
from bot.sim.slack.valve import Valve, ValvedConnection
from bot.sim.slack.waiting import wait_until
from bot.sim.slack.webapi import SlackWebApiStandIn

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_APP_TOKEN = "xapp-1-A0SIMAPP-1-sim-app-token"  # noqa: S105 - a fixed fake
OPEN_METHOD = "apps.connections.open"
# Slack's hello says how long a connection may live before a refresh (seconds).
CONNECTION_TIME = 18_060


class SocketModeStandIn(Lifecycle):
    """Socket Mode for one app, next to the Web API stand-in that hands out its URLs."""

    def __init__(
        self,
        web_api: SlackWebApiStandIn,
        *,
        app_token: str = DEFAULT_APP_TOKEN,
        ack_timeout: float = 3.0,
        max_retries: int = 3,
        redeliver: Iterable[EnvelopeType] = tuple(EnvelopeType),
        ticket_lifetime: float = 30.0,
        disconnect_grace: float = 10.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """Configure; `apps.connections.open` answers and the server listens from `start()`.

        Args:
            ack_timeout: seconds Slack waits for an ack before it redelivers.
            max_retries: redeliveries of one envelope before Slack gives it up.
            redeliver: envelope types that are redelivered; others are given up at the first
                timeout. Slack documents retries for the Events API; all types by default, so
                the app is tested against the stricter case.
            disconnect_grace: seconds a connection sent `disconnect` stays open at most.
        """
        self.web_api = web_api
        self.workspace = web_api.workspace
        self._app_token = app_token
        self._disconnect_grace = disconnect_grace
        self._host = host
        self._port = port
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._tickets = Tickets(ticket_lifetime)
        self._records: list[ConnectionRecord] = []
        self._sockets: dict[int, ServerConnection] = {}
        self._valves: dict[int, Valve] = {}
        self._ledger = Ledger(ack_timeout=ack_timeout, max_retries=max_retries, redeliver=redeliver)
        self._server: Server | None = None
        self._accepting: ServerThread | None = None
        self._pumping: threading.Thread | None = None
        self._running = False

    def __repr__(self) -> str:
        return f"SocketModeStandIn(port={self._port}, running={self._running})"

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        """Listen, serve `apps.connections.open`, and start delivering."""
        with self._lock:
            if self._running:
                return self
            self._server = serve(
                self._serve_connection,
                self._host,
                self._port,
                process_request=self._check_ticket,
                compression=None,
                # Keepalive is the app's job (its pings decide when it reconnects); server
                # pings would close a silenced connection and end the dead-path case early.
                ping_interval=None,
                close_timeout=1.0,
                create_connection=ValvedConnection,
                logger=log,
            )
            self._port = int(self._server.socket.getsockname()[1])
            self._running = True
        self.web_api.serve_app_level(OPEN_METHOD, self._open, app_token=self._app_token)
        self._accepting = ServerThread(self._server, name="socket-mode-accept", poll=None)
        self._pumping = threading.Thread(target=self._pump, name="socket-mode-pump", daemon=True)
        self._pumping.start()
        return self

    def stop(self) -> None:
        """Close every connection, stop listening and delivering."""
        with self._lock:
            if not self._running:
                return
            self._running = False
            self._server = None
            valves = list(self._valves.values())
            self._changed.notify_all()
        for valve in valves:
            valve.release()  # wake handler threads stuck on a silenced socket
        if self._accepting is not None:
            self._accepting.stop()  # closes the listening socket and every connection
        if self._pumping is not None:
            self._pumping.join(timeout=5)
        self._accepting = self._pumping = None

    @property
    def url(self) -> str:
        """`ws://127.0.0.1:PORT`, the base of every URL `apps.connections.open` hands out."""
        return f"ws://{self._host}:{self._port}"

    # -- apps.connections.open and the handshake -----------------------------------------------

    def _open(self, params: Params) -> dict[str, Any]:
        """`apps.connections.open` (the Web API stand-in checked the app token)."""
        with self._lock:
            if not self._running:
                raise ApiError("internal_error")
            ticket = self._tickets.issue()
        return {
            "ok": True,
            "url": f"{self.url}/link/?ticket={ticket}&app_id={self.workspace.app_id}",
        }

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        """Accept a ticket once and only within its lifetime, as Slack's link URLs are."""
        with self._lock:
            ticket, accepted = self._tickets.redeem(request.path)
            if not accepted:
                self._changed.notify_all()
                return connection.respond(401, "invalid or used ticket\n")
            if isinstance(connection, ValvedConnection):
                connection.ticket = ticket
        return None

    # -- one connection ------------------------------------------------------------------------

    def _serve_connection(self, connection: ServerConnection) -> None:
        """Say hello, then read acks until the connection ends."""
        assert isinstance(connection, ValvedConnection)
        peer = connection.remote_address
        with self._lock:
            record = ConnectionRecord(
                connection_id=len(self._records) + 1,
                ticket=connection.ticket,
                peer=f"{peer[0]}:{peer[1]}",
                opened_at=time.monotonic(),
            )
            self._records.append(record)
            self._valves[record.connection_id] = connection.valve
            connection.on_ping = lambda: self._record_ping(record)
            live = 1 + sum(1 for r in self._records if r.live and r.connection_id in self._sockets)
            hello = hello_message(
                app_id=self.workspace.app_id,
                num_connections=live,
                host=self._host_name(record),
                approximate_connection_time=CONNECTION_TIME,
            )
        try:
            with self._lock:
                # Envelopes only after hello, as Slack does; queued ones can go now. Sent under
                # the lock, so an app that has read its hello finds the connection live.
                connection.send(json.dumps(hello))
                record.hello_at = time.monotonic()
                if record.closed is None:
                    self._sockets[record.connection_id] = connection
                self._changed.notify_all()
            for message in connection:
                self._receive(record, message if isinstance(message, str) else message.decode())
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                if record.closed is None:
                    record.closed = Closed.BY_CLIENT
                    record.closed_at = time.monotonic()
                self._sockets.pop(record.connection_id, None)
                self._changed.notify_all()

    def _record_ping(self, record: ConnectionRecord) -> None:
        with self._lock:
            record.pings.append(time.monotonic())
            self._changed.notify_all()

    def _receive(self, record: ConnectionRecord, text: str) -> None:
        with self._lock:
            drop = self._ledger.receive(text, record.connection_id, time.monotonic())
            self._changed.notify_all()
        if drop is not None:
            self.drop(drop, connection_id=record.connection_id)

    @staticmethod
    def _host_name(record: ConnectionRecord) -> str:
        return f"applink-sim-{record.connection_id}"

    # -- delivering ----------------------------------------------------------------------------

    def deliver(self, payload: Payload, *, kind: EnvelopeType | None = None) -> Envelope:
        """Send `payload` in a new envelope (at once, or when the app next connects)."""
        with self._lock:
            if not self._running:
                raise RuntimeError("the Socket Mode stand-in is not running")
            envelope = self._ledger.add(payload, kind, time.monotonic())
            self._changed.notify_all()
            return copy.deepcopy(envelope)

    def _pump(self) -> None:
        """Send what is due: first deliveries, and redeliveries of what went unacked."""
        while True:
            with self._lock:
                if not self._running:
                    return
                target = self._live()
                sends, wait = self._ledger.due(
                    time.monotonic(), target[0].connection_id if target else None
                )
                texts = [self._ledger.text(envelope_id, retry) for envelope_id, retry in sends]
                if target is None or not texts:
                    self._changed.notify_all()  # envelopes may have been given up
                    self._changed.wait(wait)
                    continue
            for text in texts:
                try:
                    target[1].send(text)
                except ConnectionClosed:
                    log.debug("socket mode stand-in: delivery hit a closed connection")

    def _live(self) -> tuple[ConnectionRecord, ServerConnection] | None:
        """The newest connection that is open, reachable and not asked to leave."""
        for record in reversed(self._records):
            connection = self._sockets.get(record.connection_id)
            if record.live and connection is not None:
                return record, connection
        return None

    # -- faults --------------------------------------------------------------------------------

    def disconnect(
        self, reason: DisconnectReason = DisconnectReason.REFRESH_REQUESTED
    ) -> ConnectionRecord:
        """Send `disconnect` on the live connection; it gets no new envelopes from now on.

        Slack closes it itself later if the app does not: after `disconnect_grace` seconds.
        """
        with self._lock:
            target = self._live()
            if target is None:
                raise RuntimeError("no live Socket Mode connection to disconnect")
            record, connection = target
            record.disconnect_sent = DisconnectReason(reason)
            text = json.dumps(
                disconnect_message(record.disconnect_sent, host=self._host_name(record))
            )
        connection.send(text)
        timer = threading.Timer(self._disconnect_grace, self._close_after_grace, (record,))
        timer.daemon = True
        timer.start()
        return copy.deepcopy(record)

    def _close_after_grace(self, record: ConnectionRecord) -> None:
        with self._lock:
            connection = self._sockets.get(record.connection_id) if self._running else None
            if connection is None or record.closed is not None:
                return
            record.closed, record.closed_at = Closed.BY_SERVER, time.monotonic()
        connection.close(1001, "refresh")

    def drop(
        self, how: Closed = Closed.SILENT, *, connection_id: int | None = None
    ) -> ConnectionRecord:
        """End a connection with no close frame: a dead path (SILENT) or a TCP reset (RESET)."""
        if how not in (Closed.SILENT, Closed.RESET):
            raise ValueError("drop() is SILENT or RESET; use disconnect() for a polite close")
        with self._lock:
            if connection_id is None:
                target = self._live()
                if target is None:
                    raise RuntimeError("no live Socket Mode connection to drop")
                connection_id = target[0].connection_id
            record = self._records[connection_id - 1]
            if record.closed is None:
                record.closed, record.closed_at = how, time.monotonic()
            valve = self._valves[connection_id]
            self._changed.notify_all()
        if how is Closed.SILENT:
            valve.silence()
        else:
            valve.reset()
        return copy.deepcopy(record)

    def fail_next_ack(self, drop: Closed | None = None) -> None:
        """Lose the next ack that arrives; with `drop`, its connection dies with it that way."""
        with self._lock:
            self._ledger.fail_next_ack(drop)

    # -- queries and waiting -------------------------------------------------------------------

    def connections(self) -> list[ConnectionRecord]:
        """Every connection opened so far, oldest first."""
        with self._lock:
            return copy.deepcopy(self._records)

    def refused_tickets(self) -> list[str]:
        """Tickets a handshake presented that were unknown, used or expired."""
        with self._lock:
            return list(self._tickets.refused)

    def envelope(self, envelope_id: str) -> Envelope:
        """One envelope as it is now (deliveries and acks so far)."""
        with self._lock:
            return copy.deepcopy(self._ledger.envelopes[envelope_id])

    def envelopes(self) -> list[Envelope]:
        """Every envelope, in the order they were handed to `deliver()`."""
        with self._lock:
            return copy.deepcopy(list(self._ledger.envelopes.values()))

    def acks(self) -> list[Ack]:
        """Every ack received (lost ones included), in arrival order."""
        with self._lock:
            return copy.deepcopy(self._ledger.acks())

    def strays(self) -> list[str]:
        """Messages from the app that acked no known envelope."""
        with self._lock:
            return list(self._ledger.strays)

    def wait_for(
        self, predicate: Callable[[SocketModeStandIn], T | None], timeout: float = 5.0
    ) -> T:
        """Block until `predicate(self)` is truthy and return it; TimeoutError after `timeout`."""
        return wait_until(self._changed, lambda: predicate(self), timeout)

    def wait_connected(self, count: int = 1, timeout: float = 10.0) -> ConnectionRecord:
        """Wait until `count` connections have been opened and one is live; returns that one."""

        def ready(stand_in: SocketModeStandIn) -> ConnectionRecord | None:
            with stand_in._lock:
                target = stand_in._live()
                if len(stand_in._records) >= count and target is not None:
                    return copy.deepcopy(target[0])
            return None

        return self.wait_for(ready, timeout)

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        """Wait for the first ack of an envelope that was not lost."""

        def acked(stand_in: SocketModeStandIn) -> Ack | None:
            with stand_in._lock:
                return copy.deepcopy(stand_in._ledger.envelopes[envelope_id].ack)

        return self.wait_for(acked, timeout)
