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
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError

from bot.config import ConfigError
from bot.runtime import Runtime
from bot.slack.app import build_app, shutdown_app

log = logging.getLogger(__name__)

PING_INTERVAL = 2.0
# Pings missed before slack_sdk's builtin client gives a connection up (its rule, not ours).
STALE_PINGS = 4


def stale_notice_bound(ping_interval: float) -> float:
    """Longest time from the last pong to noticing a dead connection, in seconds."""
    # Stale when int(elapsed) > STALE_PINGS * interval, checked once per interval.
    return (STALE_PINGS + 1) * ping_interval + 1.0


def socket_handler(runtime: Runtime, *, app: App | None = None) -> SocketModeHandler:
    """A handler ready to `connect()` (non-blocking) or `start()` (blocking)."""
    token = runtime.settings.slack_app_token
    if token is None or not token.get_secret_value():
        raise ConfigError("SLACK_APP_TOKEN is not set; it is required for Socket Mode")
    return SocketModeHandler(
        app if app is not None else build_app(runtime),
        app_token=token.get_secret_value(),
        web_client=runtime.slack,
        ping_interval=PING_INTERVAL,
    )


def connect(handler: SocketModeHandler) -> None:
    """Open the first connection; a token Slack refuses is a configuration error."""
    try:
        handler.connect()  # type: ignore[no-untyped-call]
    except SlackApiError as exc:
        code = exc.response.get("error") if exc.response is not None else None
        raise ConfigError(
            f"SLACK_APP_TOKEN: Slack refused apps.connections.open ({code or 'no answer'})"
        ) from None


def serve_socket(runtime: Runtime, *, on_ready: Callable[[], None] | None = None) -> None:
    """Connect and serve until interrupted; `on_ready` runs once the first connection is open."""
    handler = socket_handler(runtime)
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
