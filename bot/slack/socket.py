"""Socket Mode: the same app over Slack's WebSocket (no public URL; needs SLACK_APP_TOKEN).

Socket Mode requests are not signed (the app token authenticates the connection), so Bolt
skips signature checks for them. The WebSocket is opened through `apps.connections.open` on the
app's WebClient, so ENIBOT_SLACK_API_URL applies here too.
"""

from __future__ import annotations

import logging
import threading

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.config import ConfigError
from bot.runtime import Runtime
from bot.slack.app import build_app, shutdown_app

log = logging.getLogger(__name__)


def socket_handler(runtime: Runtime, *, app: App | None = None) -> SocketModeHandler:
    """A handler ready to `connect()` (non-blocking) or `start()` (blocking)."""
    token = runtime.settings.slack_app_token
    if token is None or not token.get_secret_value():
        raise ConfigError("SLACK_APP_TOKEN is not set; it is required for Socket Mode")
    return SocketModeHandler(
        app if app is not None else build_app(runtime),
        app_token=token.get_secret_value(),
        web_client=runtime.slack,
    )


def serve_socket(runtime: Runtime, *, ready_event: threading.Event | None = None) -> None:
    """Connect and serve until interrupted."""
    handler = socket_handler(runtime)
    handler.connect()  # type: ignore[no-untyped-call]
    log.info("connected to Slack in Socket Mode")
    if ready_event is not None:
        ready_event.set()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        log.info("interrupted; closing the Socket Mode connection")
    finally:
        handler.close()  # type: ignore[no-untyped-call]
        shutdown_app(handler.app)
