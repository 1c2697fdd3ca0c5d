"""HTTP mode: a WSGI app on waitress (a production server: HTTP/1.1 keep-alive, a thread pool).

    POST /slack/events  slash commands, interactivity and events (Bolt, signature-verified)
    GET  /healthz       the process is alive
    GET  /readyz        database reachable and migrations at head (200), else 503 with the reason
    GET  /metrics       Prometheus text format (the runtime's registry)

Before Bolt sees a request: a body over 1 MiB is 413, unread (`bot.slack.intake`, and waitress's
own limit); a signature that is missing, malformed or wrong is 401; a signed payload of a shape
Slack never sends is 400 (`bot.slack.envelope`). None of these is a 5xx.

`serve_http` blocks (the CLI); `HttpServer` starts in a thread and stops (tests, the console).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_sdk.signature import SignatureVerifier
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer, create_server

from bot.observability.bolt import RECEIVED_AT
from bot.runtime import Runtime
from bot.slack import envelope, intake
from bot.slack.app import shutdown_app

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
SERVER_THREADS = 16
# Slack gives up after 3 s; a client that sends nothing for this long is dropped.
CHANNEL_TIMEOUT = 60
CONNECTION_LIMIT = 200
# waitress refuses a body of this many bytes or more (413, unread when the length is declared):
# one byte past the bot's own limit, so exactly MAX_BODY_BYTES is still served.
MAX_REQUEST_BODY = intake.MAX_BODY_BYTES + 1
# Slack's headers are a few hundred bytes; waitress's default allows 256 KiB of them.
MAX_REQUEST_HEADERS = 64 * 1024

_TEXT = "text/plain; charset=utf-8"


class _TimedHandler(SlackRequestHandler):
    """Bolt's WSGI adapter, bounding the body, checking the signature first, timing the ack."""

    def __init__(self, app: App, *, path: str, signing_secret: str | None) -> None:
        super().__init__(app, path=path)
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        arrived = time.perf_counter()
        raw = intake.read_body(request.environ)
        if isinstance(raw, intake.BodyRefused):
            log.warning("Slack request refused before reading: %s", raw.reason)
            return BoltResponse(status=raw.status, body=raw.reason)
        headers = request.get_headers()
        # Bolt parses the body before it checks the signature, and garbage makes that parse
        # raise (a 500 anyone could trigger). Check the signature on the raw bytes first.
        if self._verifier is not None and not intake.signed_by_slack(self._verifier, raw, headers):
            return BoltResponse(status=401, body="invalid signature")
        try:
            bolt_request = BoltRequest(
                body=raw.decode("utf-8"),
                query=request.query_string,
                headers=headers,
                context={RECEIVED_AT: arrived},
            )
        except Exception:  # a signed but malformed body: the sender's bug, not ours
            log.warning("malformed Slack request body (%d bytes)", len(raw))
            return BoltResponse(status=400, body="malformed request body")
        shape = envelope.problem(bolt_request.body)
        if shape is not None:
            log.warning("signed Slack request of another shape (%s); answering 400", shape)
            return BoltResponse(status=400, body="malformed request body")
        return self.app.dispatch(bolt_request)


class SlackWsgiApp:
    """Routes the four paths; everything else is 404 (and 405 for a wrong method)."""

    def __init__(self, app: App, runtime: Runtime) -> None:
        secret = runtime.settings.slack_signing_secret
        self._bolt = _TimedHandler(
            app, path=EVENTS_PATH, signing_secret=secret.get_secret_value() if secret else None
        )
        self._runtime = runtime

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH:
            if method != "POST":
                return _plain(start_response, "405 Method Not Allowed", "use POST\n")
            return self._bolt(environ, start_response)
        if method not in ("GET", "HEAD"):
            return _plain(start_response, "405 Method Not Allowed", "use GET\n")
        if path == "/healthz":
            return _plain(start_response, "200 OK", "ok\n")
        if path == "/readyz":
            ready, reason = self._runtime.ready()
            status = "200 OK" if ready else "503 Service Unavailable"
            return _plain(start_response, status, reason + "\n")
        if path == "/metrics":
            body, content_type = self._runtime.metrics.render(environ.get("HTTP_ACCEPT"))
            start_response(
                "200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))]
            )
            return [body]
        return _plain(start_response, "404 Not Found", "not found\n")


def _plain(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    body = text.encode()
    start_response(status, [("Content-Type", _TEXT), ("Content-Length", str(len(body)))])
    return [body]


class _Parser(HTTPRequestParser):
    """waitress's parser, minus the "100 Continue" it sends when no body should follow.

    waitress answers `Expect: 100-continue` once the headers are in, and sending it marks the
    request incomplete again. For a request its headers already refused (a declared body over
    the limit) it then reads the body it invited, up to the limit, before the 413; for one with
    no body (`Content-Length: 0`) it waits for bytes that never come, until the channel times
    out. Either way the answer is already known: drop the expectation and give it at once.
    """

    def received(self, data: bytes) -> int:
        consumed = int(super().received(data))
        if self.error is not None or self.completed:
            self.expect_continue = False
        return consumed


class _Channel(HTTPChannel):
    parser_class = _Parser


class HttpServer:
    """The bot's HTTP endpoint on a waitress server; `port=0` picks a free port.

    `app` is built by the composition root (`bot.bootstrap.build_app`), never here.
    """

    def __init__(
        self,
        runtime: Runtime,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        app: App,
        threads: int = SERVER_THREADS,
    ) -> None:
        self.runtime = runtime
        self.app = app
        server = create_server(
            SlackWsgiApp(self.app, runtime),
            host=host,
            port=port,
            threads=threads,
            channel_timeout=CHANNEL_TIMEOUT,
            connection_limit=CONNECTION_LIMIT,
            ident="eni-bot",
            clear_untrusted_proxy_headers=True,
            max_request_body_size=MAX_REQUEST_BODY,
            max_request_header_size=MAX_REQUEST_HEADERS,
        )
        # Several listening sockets (a host name with two addresses) make a MultiSocketServer.
        for listener in [server, *getattr(server, "map", {}).values()]:
            if isinstance(listener, BaseWSGIServer):
                listener.channel_class = _Channel
        self._server: Any = server
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    @property
    def host(self) -> str:
        """The bound address."""
        return str(self._server.effective_host)

    @property
    def port(self) -> int:
        """The bound port (the real one when 0 was asked)."""
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:43123`."""
        return f"http://{self.host}:{self.port}"

    def serve_forever(self) -> None:
        """Serve on this thread until `stop()` (or Ctrl-C)."""
        try:
            self._server.run()
        finally:
            self._stopped.set()

    def start(self) -> Self:
        """Serve on a daemon thread."""
        self._thread = threading.Thread(
            target=self.serve_forever, name=f"http-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop accepting, close connections, and let listeners working after ack finish."""
        server = self._server
        # Close from inside the server's own loop, so no socket is closed under its poll().
        try:
            server.trigger.pull_trigger(lambda: _close_all(server))
        except OSError as exc:
            # The loop can no longer be woken (its trigger is gone): close from here instead.
            log.warning("HTTP server trigger unusable (%s); closing from the caller", exc)
            _close_all(server)
        if self._thread is not None:
            self._thread.join(timeout)
        shutdown_app(self.app)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _close_all(server: Any) -> None:
    server.task_dispatcher.shutdown(timeout=5)
    wasyncore.close_all(server._map, ignore_all=True)


def serve_http(
    runtime: Runtime,
    app: App,
    host: str,
    port: int,
    *,
    ready_event: threading.Event | None = None,
    on_ready: Callable[[HttpServer], None] | None = None,
) -> None:
    """Serve HTTP mode until interrupted; `ready_event` is set once the port is bound."""
    server = HttpServer(runtime, host, port, app=app)
    log.info("serving Slack HTTP mode on %s%s", server.url, EVENTS_PATH)
    if on_ready is not None:
        on_ready(server)
    if ready_event is not None:
        ready_event.set()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("interrupted; stopping")
    finally:
        shutdown_app(server.app)
