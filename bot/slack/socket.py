"""Socket Mode: the same app over Slack's WebSocket (no public URL; needs SLACK_APP_TOKEN).

Socket Mode requests are not signed (the app token authenticates the connection), so Bolt
skips signature checks for them. The WebSocket is opened through `apps.connections.open` on the
app's WebClient, so ENIBOT_SLACK_API_URL applies here too.

Reconnecting is slack_sdk's builtin client's job: on `disconnect` it opens a new URL at once;
a connection that ends without a close frame is found by its keepalive. That client pings every
`ping_interval` seconds, checks the connection on the same period, and calls it stale once no
pong came for more than 4 intervals (whole seconds), so a dead path is noticed at most
5 intervals + 1 s after the last pong. CONTRACT.md allows 15 s; Bolt's default interval (10 s)
would take up to 51 s. What Slack sent meanwhile and saw no ack for, it delivers again on the
new connection, and the listeners take a repeat the way they take a retried HTTP request.

On `disconnect` that client opens the new connection, then closes the old one; but closing
waits for the old reader's `recv`, which only returns at its 3 s socket timeout, and until the
old reader is gone nothing on the new connection is read: envelopes Slack sends right after a
refresh were acked after Slack's 3 s. `_Client` ends that `recv` at once (a socket shutdown
wakes it, a close does not) as soon as the new connection is open.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable

from slack_bolt import App
from slack_bolt.adapter.socket_mode.base_handler import BaseSocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.builtin.connection import Connection, ConnectionState
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.config import ConfigError
from bot.runtime import Runtime
from bot.slack.app import shutdown_app

log = logging.getLogger(__name__)

PING_INTERVAL = 2.0
# Pings missed before slack_sdk's builtin client gives a connection up (its rule, not ours).
STALE_PINGS = 4


def stale_notice_bound(ping_interval: float) -> float:
    """Longest time from the last pong to noticing a dead connection, in seconds."""
    # Stale when int(elapsed) > STALE_PINGS * interval, checked once per interval.
    return (STALE_PINGS + 1) * ping_interval + 1.0


# How long a retiring connection's reader is watched for the new connection to open.
_RETIRE_WAIT = 30.0
_RETIRE_POLL = 0.005


def _release_when_retired(old: Connection, state: ConnectionState) -> None:
    """Once the client has marked `old` done (the new connection is open), end its `recv`.

    The client sets the old state's `terminated` right after the new connection's handshake
    and then closes the old connection; there is no hook between the two, so it is watched.
    Shutting down before that would leave no connection read during the handshake.
    """
    deadline = time.monotonic() + _RETIRE_WAIT
    while not state.terminated and time.monotonic() < deadline:
        time.sleep(_RETIRE_POLL)
    sock = old.sock
    if state.terminated and sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class _Client(SocketModeClient):
    """slack_sdk's builtin client, moving to a new connection without a blind spot."""

    def connect(self) -> None:
        """Open a new connection; the one it replaces lets go as soon as the new one is open."""
        old, state = self.current_session, self.current_session_state
        if old is not None and old.is_active():
            threading.Thread(
                target=_release_when_retired,
                args=(old, state),
                name="socket-mode-retire",
                daemon=True,
            ).start()
        super().connect()

    def close(self) -> None:
        """Close for good; the reader's `recv` is woken now, not at its socket timeout."""
        self.closed = True
        self.auto_reconnect_enabled = False
        session = self.current_session
        if session is not None and session.sock is not None:
            self.current_session_state.terminated = True
            with contextlib.suppress(OSError):
                session.sock.shutdown(socket.SHUT_RDWR)
        super().close()


class SocketHandler(BaseSocketModeHandler):
    """Bolt's builtin Socket Mode handler, on `_Client` with the keepalive set here."""

    def __init__(self, app: App, *, app_token: str, web_client: WebClient) -> None:
        self.app = app
        self.app_token = app_token
        self.client = _Client(
            app_token=app_token,
            logger=app.logger,
            web_client=web_client,
            proxy=web_client.proxy,
            ping_interval=PING_INTERVAL,
        )
        self.client.socket_mode_request_listeners.append(self.handle)

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        """Dispatch one envelope to the app and send its ack (as Bolt's own handler does)."""
        started = time.time()
        send_response(client, req, run_bolt_app(self.app, req), started)


def socket_handler(runtime: Runtime, *, app: App) -> SocketHandler:
    """A handler for the root's `app`, ready to `connect()` (non-blocking) or `start()`."""
    token = runtime.settings.slack_app_token
    if token is None or not token.get_secret_value():
        raise ConfigError("SLACK_APP_TOKEN is not set; it is required for Socket Mode")
    return SocketHandler(
        app,
        app_token=token.get_secret_value(),
        web_client=runtime.slack,
    )


def connect(handler: SocketHandler) -> None:
    """Open the first connection; a token Slack refuses is a configuration error."""
    try:
        handler.connect()  # type: ignore[no-untyped-call]
    except SlackApiError as exc:
        code = exc.response.get("error") if exc.response is not None else None
        raise ConfigError(
            f"SLACK_APP_TOKEN: Slack refused apps.connections.open ({code or 'no answer'})"
        ) from None


def serve_socket(runtime: Runtime, app: App, *, on_ready: Callable[[], None] | None = None) -> None:
    """Connect and serve until interrupted; `on_ready` runs once the first connection is open."""
    handler = socket_handler(runtime, app=app)
    try:
        connect(handler)
        log.info("connected to Slack in Socket Mode")
        if on_ready is not None:
            on_ready()
        threading.Event().wait()
    except KeyboardInterrupt:
        log.info("interrupted; closing the Socket Mode connection")
    finally:
        handler.close()  # type: ignore[no-untyped-call]
        shutdown_app(handler.app)
