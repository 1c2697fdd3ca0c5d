"""`SlackWebApiStandIn`: a real HTTP server that answers the Slack Web API like Slack does.

Point `slack_sdk.WebClient(base_url=stand_in.api_url)` at it. It keeps state (messages, threads,
ephemerals, views, App Home), records every call for tests to query, wakes waiters through a
Condition, and fails on demand: queued faults (`fail_next`), a whole outage (`outage`) after which
it listens again on the same port, and Slack's per-channel posting limit (`set_channel_rate_limit`).
Channels can be private without the bot, archived, or DMs it is not in (`add_conversation`), and
read methods ignore a JSON body as Slack does (their arguments are form or query parameters).
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Self, TypeVar
from urllib.parse import parse_qsl

from bot.sim.http import Lifecycle, ServerThread, TrackingHTTPServer
from bot.sim.slack.conversations import Conversation, ConversationKind
from bot.sim.slack.faults import ChannelRateLimiter, Fault, FaultKind, FaultPlan
from bot.sim.slack.records import (
    RESPONSE_URL_METHOD,
    Ephemeral,
    Message,
    RecordedCall,
    ResponsePost,
    View,
)
from bot.sim.slack.state import (
    FORM_ONLY_METHODS,
    ApiError,
    Params,
    SlackState,
    decode_json_params,
)
from bot.sim.slack.workspace import DEFAULT_WORKSPACE, Workspace

log = logging.getLogger(__name__)

T = TypeVar("T")
CallListener = Callable[[RecordedCall], None]
AppMethod = Callable[[Params], dict[str, Any]]

DEFAULT_BOT_TOKEN = "xoxb-sim-bot-token"  # noqa: S105 - a fixed fake for the sandbox
_SERVE_POLL = 0.05


@dataclass
class _Outcome:
    """What the HTTP layer sends back for one request."""

    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    reset_before: bool = False
    reset_after: bool = False


def _json_outcome(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> _Outcome:
    return _Outcome(status, json.dumps(body).encode(), headers=dict(headers or {}))


class _Server(TrackingHTTPServer):
    """The listening side; an outage cuts its open connections."""

    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], stand_in: SlackWebApiStandIn) -> None:
        self.stand_in = stand_in
        super().__init__(address, _Handler)

    def reset_connections(self) -> None:
        """Cut every open keep-alive connection with a TCP reset, as a dying server would."""
        for conn in self.take_connections():
            _reset(conn)


def _reset(conn: socket.socket) -> None:
    """Abort a connection: linger 0 makes the final close a TCP reset, not a clean FIN.

    `shutdown` acts at once even while the handler thread still holds the socket's files
    (a bare `close` would wait for them); the handler then sees EOF and closes for good.
    """
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        conn.close()


class _Handler(BaseHTTPRequestHandler):
    """Reads one request, lets the stand-in answer it, writes the answer."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, a kept-alive client waits
    # ~40 ms for each answer (delayed ACK).
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, verb: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = dict(self.headers.items())
        peer = f"{self.client_address[0]}:{self.client_address[1]}"
        outcome = self.server.stand_in._answer(verb, self.path, headers, raw, peer)
        if outcome.reset_before or outcome.reset_after:
            # Linger 0: when the server closes this socket after we return, the peer gets a RST.
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        self.send_response(outcome.status)
        self.send_header("Content-Type", outcome.content_type)
        self.send_header("Content-Length", str(len(outcome.body)))
        for name, value in outcome.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(outcome.body)

    def log_message(self, format: str, *args: Any) -> None:
        # The default writes every request to stderr; tests and the console want quiet.
        log.debug("slack stand-in: " + format, *args)


def _parse_params(method: str, query: str, headers: Mapping[str, str], raw: bytes) -> Params:
    params: Params = dict(parse_qsl(query, keep_blank_values=True))
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    is_json = "json" in content_type
    # Slack reads a read method's arguments from the query string or a form body only: a JSON
    # body is ignored, so the call is answered as if it had no arguments (channel_not_found…).
    if raw and not (is_json and method in FORM_ONLY_METHODS):
        if is_json:
            try:
                decoded = json.loads(raw)
            except ValueError:
                decoded = None
            if isinstance(decoded, dict):
                params.update(decoded)
            else:
                params["__invalid_json__"] = True
        else:
            params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    return decode_json_params(params)


def _redacted_headers(headers: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers.items():
        if name.lower() == "authorization":
            scheme = value.split(" ", 1)[0] if " " in value else ""
            out[name] = f"{scheme} [redacted]".strip()
        else:
            out[name] = value
    return out


class SlackWebApiStandIn(Lifecycle):
    """A stateful Slack Web API on 127.0.0.1 for tests, benchmarks and the console."""

    def __init__(
        self,
        *,
        bot_token: str = DEFAULT_BOT_TOKEN,
        workspace: Workspace = DEFAULT_WORKSPACE,
        channels: Iterable[str] | None = None,
        usergroups: Mapping[str, Sequence[str]] | None = None,
        strict_triggers: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Configure; nothing listens until `start()` (or `with`).

        Args:
            channels: known channel IDs; when given, others answer `channel_not_found`.
            usergroups: user group ID -> member user IDs for `usergroups.users.list`.
            strict_triggers: only trigger IDs from `issue_trigger()`, once each, within 3 s.
            clock: monotonic clock for the per-channel rate limit (injectable for tests).
        """
        self.workspace = workspace
        self._bot_token = bot_token
        self._host = host
        self._port = port
        self._clock = clock
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._lifecycle = threading.Lock()
        self._state = SlackState(
            workspace, channels=channels, usergroups=usergroups, strict_triggers=strict_triggers
        )
        self._calls: list[RecordedCall] = []
        self._responses: list[ResponsePost] = []
        self._faults = FaultPlan()
        self._limiter: ChannelRateLimiter | None = None
        self._listeners: list[CallListener] = []
        # Methods called with the app-level token (`apps.connections.open`), and that token.
        self._app_methods: dict[str, AppMethod] = {}
        self._app_token: str | None = None
        self._server: _Server | None = None
        self._serving: ServerThread | None = None
        self._outage_timer: threading.Timer | None = None
        self._in_outage = False
        self._stopped = False

    def __repr__(self) -> str:
        # Never show the token.
        return f"SlackWebApiStandIn(port={self._port}, listening={self._server is not None})"

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        """Listen on the configured port (a free one for 0) and serve in a daemon thread."""
        with self._lifecycle:
            if self._server is None and not self._in_outage:
                self._stopped = False
                self._listen()
        return self

    def _listen(self) -> None:
        server = _Server((self._host, self._port), self)
        self._port = server.server_address[1]
        self._server = server
        self._serving = ServerThread(server, name=f"slack-stand-in-{self._port}", poll=_SERVE_POLL)

    def _close_listener(self) -> None:
        server, serving = self._server, self._serving
        self._server = self._serving = None
        if server is not None and serving is not None:
            serving.stop(cut=server.reset_connections)

    def stop(self) -> None:
        """Stop listening, cut open connections and cancel a pending outage end."""
        with self._lifecycle:
            self._stopped = True
            self._in_outage = False
            if self._outage_timer is not None:
                self._outage_timer.cancel()
                self._outage_timer = None
            self._close_listener()

    @property
    def port(self) -> int:
        """The TCP port; stays the same across outages."""
        return self._port

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>` with no trailing slash."""
        return f"http://{self._host}:{self._port}"

    @property
    def api_url(self) -> str:
        """The Web API base URL for `WebClient(base_url=...)` and `ENIBOT_SLACK_API_URL`."""
        return f"{self.base_url}/api/"

    # -- faults --------------------------------------------------------------------------------

    def outage(self, seconds: float | None) -> None:
        """Stop listening and reset open connections; come back on the same port after `seconds`.

        With `seconds=None` the outage lasts until `end_outage()`. Connections made meanwhile
        are refused, as when Slack (or the network to it) is down.
        """
        with self._lifecycle:
            if self._stopped or self._server is None:
                raise RuntimeError("the stand-in is not running")
            self._in_outage = True
            self._close_listener()
            if seconds is not None:
                timer = threading.Timer(seconds, self.end_outage)
                timer.daemon = True
                self._outage_timer = timer
                timer.start()

    def end_outage(self) -> None:
        """Listen again on the same port (no-op when not in an outage)."""
        with self._lifecycle:
            if not self._in_outage or self._stopped:
                return
            self._in_outage = False
            self._outage_timer = None
            self._listen()

    @property
    def in_outage(self) -> bool:
        """Whether connections are being refused right now."""
        return self._in_outage

    def fail_next(
        self,
        method: str | None,
        n: int = 1,
        kind: FaultKind | str = FaultKind.RATE_LIMITED,
        *,
        retry_after: int = 1,
        status: int = 500,
    ) -> None:
        """Make the next `n` calls of `method` (None: any method) fail as `kind`.

        `rate_limited` answers 429 with `Retry-After: retry_after`; `server_error` answers
        `status` (500 or 503); `connection_reset` cuts the connection unanswered;
        `response_lost` applies the call, then cuts the connection. `response_url` posts count
        as method "response_url".
        """
        with self._lock:
            self._faults.add(
                Fault(method, n, FaultKind(kind), retry_after=retry_after, status=status)
            )

    def clear_faults(self) -> None:
        """Forget queued faults."""
        with self._lock:
            self._faults.clear()

    def set_channel_rate_limit(self, per_second: float | None = 1.0, burst: int = 3) -> None:
        """Answer `chat.postMessage` with 429 beyond `per_second` per channel; None switches off."""
        with self._lock:
            self._limiter = (
                None if per_second is None else ChannelRateLimiter(per_second, burst, self._clock)
            )

    def set_usergroups_error(self, error: str | None) -> None:
        """Make `usergroups.users.list` answer e.g. `plan_upgrade_required` or `missing_scope`."""
        with self._lock:
            self._state.usergroups_error = error

    def set_usergroup(self, usergroup: str, users: Sequence[str]) -> None:
        """Define or replace a user group's members."""
        with self._lock:
            self._state.usergroups[usergroup] = list(users)

    def add_conversation(
        self,
        channel: str,
        *,
        kind: ConversationKind | str = ConversationKind.PUBLIC,
        bot_member: bool = True,
        archived: bool = False,
        name: str = "",
    ) -> None:
        """Register (or redefine) a channel: private, a DM between people, archived, bot absent.

        Slack's answers follow (bot/sim/slack/conversations.py): a private channel or DM the
        bot is not in is `channel_not_found` to every method, an archived one `is_archived` to
        every write.
        """
        with self._lock:
            self._state.conversations[channel] = Conversation(
                channel, ConversationKind(kind), bot_member=bot_member, archived=archived, name=name
            )
            if self._state.channels is not None:
                self._state.channels.add(channel)

    def set_messages_tab(self, enabled: bool) -> None:
        """Switch the app's Messages tab; off, posts to a user ID answer `messages_tab_disabled`."""
        with self._lock:
            self._state.messages_tab = enabled

    def serve_app_level(self, method: str, handler: AppMethod, *, app_token: str) -> None:
        """Answer `method` with `handler`, for callers holding the app-level token only.

        As Slack does: any other token is `invalid_auth`, a bot token `not_allowed_token_type`
        (and the app token on a bot method likewise). The Socket Mode stand-in serves
        `apps.connections.open` this way; `handler` runs with this stand-in's lock held.
        """
        with self._lock:
            self._app_methods[method] = handler
            self._app_token = app_token

    # -- minting what Slack hands to the app ---------------------------------------------------

    def new_response_url(
        self,
        *,
        channel: str | None = None,
        user: str | None = None,
        message_ts: str | None = None,
        ephemeral: bool = False,
    ) -> str:
        """An absolute `response_url` served by this stand-in.

        `channel` makes `in_channel` posts appear there; `message_ts` is the message a
        `replace_original`/`delete_original` acts on (an ephemeral one when `ephemeral`, so a
        replacement is a new ephemeral); other posts are ephemerals to `user`.
        """
        with self._lock:
            token = self._state.issue_response_token(
                channel=channel, user=user, message_ts=message_ts, ephemeral=ephemeral
            )
        return f"{self.base_url}/response/{token}"

    def issue_trigger(self) -> str:
        """A trigger_id that `views.open` accepts (once, within 3 s, with strict triggers)."""
        with self._lock:
            return self._state.issue_trigger()

    # -- listeners and waiting -----------------------------------------------------------------

    def subscribe(self, listener: CallListener) -> Callable[[], None]:
        """Call `listener` after each recorded call; returns the unsubscribe function.

        Listeners run on the server's request thread; their exceptions are logged and dropped.
        """
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def wait_for(
        self, predicate: Callable[[SlackWebApiStandIn], T | None], timeout: float = 5.0
    ) -> T:
        """Block until `predicate(self)` is truthy and return its value; TimeoutError after timeout.

        Woken by each recorded call, so there is no polling.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate(self)
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._changed.wait(remaining):
                    value = predicate(self)
                    if value:
                        return value
                    raise TimeoutError(f"condition not met within {timeout} s")

    def wait_for_calls(
        self, method: str, count: int = 1, timeout: float = 5.0
    ) -> list[RecordedCall]:
        """Block until `count` calls of `method` have been recorded; returns them all."""
        return self.wait_for(
            lambda s: calls if len(calls := s.calls(method)) >= count else None, timeout
        )

    # -- queries -------------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """Recorded calls in arrival order, of one method or all (failed ones included)."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def messages(self, channel: str, *, include_replies: bool = False) -> list[Message]:
        """Messages in a channel, oldest first; thread replies only when asked."""
        with self._lock:
            stored = self._state.messages.get(channel, {}).values()
            return [copy.deepcopy(m) for m in stored if include_replies or not m.is_reply]

    def message(self, channel: str, ts: str) -> Message | None:
        """One message as it is now (after any `chat.update`)."""
        with self._lock:
            found = self._state.find(channel, ts)
            return copy.deepcopy(found) if found is not None else None

    def thread(self, channel: str, ts: str) -> list[Message]:
        """The replies in the thread of the message at `ts`, oldest first (parent excluded)."""
        with self._lock:
            return [
                copy.deepcopy(m)
                for m in self._state.messages.get(channel, {}).values()
                if m.is_reply and m.thread_ts == ts
            ]

    def ephemerals(self, user: str | None = None) -> list[Ephemeral]:
        """Ephemeral messages (postEphemeral and response_url), optionally for one user."""
        with self._lock:
            return [e for e in self._state.ephemerals if user is None or e.user == user]

    def responses(self, token: str | None = None) -> list[ResponsePost]:
        """Bodies POSTed to issued response URLs; `token` may be the URL or its last part."""
        if token is not None:
            token = token.rstrip("/").rsplit("/", 1)[-1]
        with self._lock:
            return [r for r in self._responses if token is None or r.token == token]

    def views(self, *, kind: str | None = None) -> list[View]:
        """Opened modals and published homes, oldest first; `kind` is `modal` or `home`."""
        with self._lock:
            return [
                copy.deepcopy(v)
                for v in self._state.views.values()
                if kind is None or v.type == kind
            ]

    def view(self, view_id: str) -> View | None:
        """One view as it is now."""
        with self._lock:
            found = self._state.views.get(view_id)
            return copy.deepcopy(found) if found is not None else None

    def home(self, user_id: str) -> View | None:
        """The App Home view last published for a user."""
        with self._lock:
            found = self._state.views.get(self._state.home_views.get(user_id, ""))
            return copy.deepcopy(found) if found is not None else None

    def apply_view_answer(self, view_id: str, answer: Mapping[str, Any]) -> View | None:
        """Apply an app's view_submission answer (close, errors, update, push, clear).

        Returns the view the user now sees, None when the modal closed. `SlackSender.submit_view`
        calls this, so tests and the console see the modal as Slack would show it.
        """
        with self._lock:
            shown = self._state.apply_view_answer(view_id, answer)
            self._changed.notify_all()
            return copy.deepcopy(shown) if shown is not None else None

    def view_payload(self, view_id: str) -> dict[str, Any]:
        """The view object Slack would put in an interaction payload for this view."""
        with self._lock:
            found = self._state.views.get(view_id)
            if found is None:
                raise KeyError(view_id)
            ws = self.workspace
            return found.as_api(team_id=ws.team_id, app_id=ws.app_id, bot_id=ws.bot_id)

    # -- answering -----------------------------------------------------------------------------

    def _answer(
        self, verb: str, target: str, headers: Mapping[str, str], raw: bytes, peer: str
    ) -> _Outcome:
        path, _, query = target.partition("?")
        if path.startswith("/api/"):
            return self._answer_api(verb, path[len("/api/") :], query, headers, raw, peer)
        if path.startswith("/response/") and verb == "POST":
            return self._answer_response(path[len("/response/") :], headers, raw, peer)
        return _Outcome(404, b"not found", content_type="text/plain")

    def _token_error(
        self, params: Params, headers: Mapping[str, str], *, app_level: bool
    ) -> ApiError | None:
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        token = auth[7:] if auth.lower().startswith("bearer ") else str(params.get("token") or "")
        if not token:
            return ApiError("not_authed")
        expected, other = (
            (self._app_token, self._bot_token) if app_level else (self._bot_token, self._app_token)
        )
        if token == expected:
            return None
        if token == other:
            return ApiError("not_allowed_token_type")
        return ApiError("invalid_auth")

    def _answer_api(
        self,
        verb: str,
        method: str,
        query: str,
        headers: Mapping[str, str],
        raw: bytes,
        peer: str,
    ) -> _Outcome:
        params = _parse_params(method, query, headers, raw)
        invalid_json = bool(params.pop("__invalid_json__", False))
        recorded_params = {k: v for k, v in params.items() if k != "token"}
        with self._lock:
            outcome, response, fault = self._run_method(method, params, headers, invalid_json)
            call = RecordedCall(
                method=method,
                params=recorded_params,
                headers=_redacted_headers(headers),
                time=time.time(),
                http_method=verb,
                status=outcome.status,
                response=response,
                fault=fault,
                peer=peer,
            )
            self._record(call)
        self._notify(call)
        return outcome

    def _run_method(
        self, method: str, params: Params, headers: Mapping[str, str], invalid_json: bool
    ) -> tuple[_Outcome, dict[str, Any], str | None]:
        fault = self._faults.take(method)
        if fault is not None and fault.kind is not FaultKind.RESPONSE_LOST:
            return self._fault_outcome(fault), {}, fault.kind.value
        app_level = method in self._app_methods
        handler = self._app_methods[method] if app_level else self._state.handler(method)
        body: dict[str, Any]
        extra_headers: dict[str, str] = {}
        status = 200
        if handler is None:
            body = {"ok": False, "error": "unknown_method"}
        elif invalid_json:
            body = {"ok": False, "error": "invalid_json"}
        elif (token_error := self._token_error(params, headers, app_level=app_level)) is not None:
            body = token_error.body()
        elif (wait := self._rate_limited(method, params)) is not None:
            status, body = 429, {"ok": False, "error": "ratelimited"}
            extra_headers["Retry-After"] = str(wait)
        else:
            try:
                body = handler(params)
            except ApiError as exc:
                body = exc.body()
            if body.get("ok"):
                self._changed.notify_all()
        outcome = _json_outcome(status, body, extra_headers)
        if fault is not None:
            outcome.reset_after = True
            return outcome, body, fault.kind.value
        return outcome, body, None

    def _rate_limited(self, method: str, params: Params) -> int | None:
        if self._limiter is None or method != "chat.postMessage":
            return None
        return self._limiter.admit(str(params.get("channel") or ""))

    @staticmethod
    def _fault_outcome(fault: Fault) -> _Outcome:
        if fault.kind is FaultKind.RATE_LIMITED:
            retry_after = {"Retry-After": str(fault.retry_after)}
            return _json_outcome(429, {"ok": False, "error": "ratelimited"}, retry_after)
        if fault.kind is FaultKind.SERVER_ERROR:
            return _json_outcome(fault.status, {"ok": False, "error": "fatal_error"})
        return _Outcome(0, b"", reset_before=True)

    def _answer_response(
        self, token: str, headers: Mapping[str, str], raw: bytes, peer: str
    ) -> _Outcome:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with self._lock:
            fault = self._faults.take(RESPONSE_URL_METHOD)
            if fault is not None and fault.kind is not FaultKind.RESPONSE_LOST:
                outcome = self._fault_outcome(fault)
                status, text = outcome.status, fault.kind.value
            elif not isinstance(body, dict):
                status, text = 400, "invalid_payload"
            else:
                status, text, _ = self._state.apply_response(token, body)
                if status == 200:
                    self._responses.append(ResponsePost(token=token, body=body, time=time.time()))
                    self._changed.notify_all()
                outcome = _Outcome(status, text.encode(), content_type="text/html")
                if fault is not None:
                    outcome.reset_after = True
            call = RecordedCall(
                method=RESPONSE_URL_METHOD,
                params={"token": token, **(body if isinstance(body, dict) else {})},
                headers=_redacted_headers(headers),
                time=time.time(),
                status=status,
                response={"ok": status == 200, "body": text},
                fault=fault.kind.value if fault is not None else None,
                peer=peer,
            )
            self._record(call)
        self._notify(call)
        return outcome

    def _record(self, call: RecordedCall) -> None:
        self._calls.append(call)
        self._changed.notify_all()

    def _notify(self, call: RecordedCall) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(call)
            except Exception:
                log.exception("slack stand-in listener failed on %s", call.method)
