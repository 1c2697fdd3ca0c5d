"""How the Web API stand-in answers one request, in Slack's order, and records it.

For a method call (`/api/<method>`):

    1. a queued fault, if one waits for this method (429, 5xx, reset; `response_lost` runs the
       method first and then cuts the connection)
    2. `unknown_method`, then `invalid_json` for a JSON body that is not an object
    3. the token: `not_authed`, `invalid_auth`, `not_allowed_token_type` (`auth`)
    4. the rate limits switched on (`limits`): 429 `ratelimited` with Retry-After
    5. the method itself (`methods`), which may refuse with `ApiError`

A `response_url` post (`/response/<token>`) takes faults too, then is applied (`chat`). Every
request becomes one `RecordedCall` (token-free), waiters are woken and listeners called.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from bot.sim.slack import chat, methods
from bot.sim.slack.arguments import INVALID_JSON, ApiError, Params, parse_params
from bot.sim.slack.auth import presented_token, redacted_headers, token_error
from bot.sim.slack.faults import Fault, FaultKind, FaultPlan
from bot.sim.slack.limits import RateLimits
from bot.sim.slack.records import RESPONSE_URL_METHOD, RecordedCall, ResponsePost
from bot.sim.slack.state import SlackState
from bot.sim.slack.transport import Outcome, json_outcome

log = logging.getLogger(__name__)

CallListener = Callable[[RecordedCall], None]
AppMethod = Callable[[Params], dict[str, Any]]


class Dispatcher:
    """The stand-in's shared state behind one lock: workspace, records, faults, limits, tokens."""

    def __init__(self, state: SlackState, *, bot_token: str, clock: Callable[[], float]) -> None:
        self.state = state
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.calls: list[RecordedCall] = []
        self.responses: list[ResponsePost] = []
        self.faults = FaultPlan()
        self.limits = RateLimits(clock)
        self.listeners: list[CallListener] = []
        # Methods called with the app-level token (`apps.connections.open`), and that token.
        self.app_methods: dict[str, AppMethod] = {}
        self.app_token: str | None = None
        self._bot_token = bot_token

    def answer(
        self, verb: str, target: str, headers: Mapping[str, str], raw: bytes, peer: str
    ) -> Outcome:
        """What to send back for one HTTP request (the `transport.Answer` of the listener)."""
        path, _, query = target.partition("?")
        if path.startswith("/api/"):
            return self._answer_api(verb, path[len("/api/") :], query, headers, raw, peer)
        if path.startswith("/response/") and verb == "POST":
            return self._answer_response(path[len("/response/") :], headers, raw, peer)
        return Outcome(404, b"not found", content_type="text/plain")

    def _answer_api(
        self,
        verb: str,
        method: str,
        query: str,
        headers: Mapping[str, str],
        raw: bytes,
        peer: str,
    ) -> Outcome:
        params = parse_params(method, query, headers, raw)
        invalid_json = bool(params.pop(INVALID_JSON, False))
        recorded_params = {k: v for k, v in params.items() if k != "token"}
        with self.lock:
            outcome, response, fault = self._run_method(method, params, headers, invalid_json)
            call = RecordedCall(
                method=method,
                params=recorded_params,
                headers=redacted_headers(headers),
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

    def _token_error(
        self, params: Params, headers: Mapping[str, str], *, app_level: bool
    ) -> ApiError | None:
        bot, app = self._bot_token, self.app_token
        expected, other = (app, bot) if app_level else (bot, app)
        return token_error(presented_token(params, headers), expected=expected, other=other)

    def _run_method(
        self, method: str, params: Params, headers: Mapping[str, str], invalid_json: bool
    ) -> tuple[Outcome, dict[str, Any], str | None]:
        fault = self.faults.take(method)
        if fault is not None and fault.kind is not FaultKind.RESPONSE_LOST:
            return _fault_outcome(fault), {}, fault.kind.value
        app_level = method in self.app_methods
        handler = self.app_methods[method] if app_level else methods.handler(self.state, method)
        body: dict[str, Any]
        extra_headers: dict[str, str] = {}
        status = 200
        if handler is None:
            body = {"ok": False, "error": "unknown_method"}
        elif invalid_json:
            body = {"ok": False, "error": "invalid_json"}
        elif (refusal := self._token_error(params, headers, app_level=app_level)) is not None:
            body = refusal.body()
        elif (wait := self.limits.admit(method, str(params.get("channel") or ""))) is not None:
            status, body = 429, {"ok": False, "error": "ratelimited"}
            extra_headers["Retry-After"] = str(wait)
        else:
            try:
                body = handler(params)
            except ApiError as exc:
                body = exc.body()
            if body.get("ok"):
                self.changed.notify_all()
        outcome = json_outcome(status, body, extra_headers)
        if fault is not None:
            outcome.reset_after = True
            return outcome, body, fault.kind.value
        return outcome, body, None

    def _answer_response(
        self, token: str, headers: Mapping[str, str], raw: bytes, peer: str
    ) -> Outcome:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with self.lock:
            fault = self.faults.take(RESPONSE_URL_METHOD)
            if fault is not None and fault.kind is not FaultKind.RESPONSE_LOST:
                outcome = _fault_outcome(fault)
                status, text = outcome.status, fault.kind.value
            elif not isinstance(body, dict):
                status, text = 400, "invalid_payload"
            else:
                status, text, _ = chat.apply_response(self.state, token, body)
                if status == 200:
                    self.responses.append(ResponsePost(token=token, body=body, time=time.time()))
                    self.changed.notify_all()
                outcome = Outcome(status, text.encode(), content_type="text/html")
                if fault is not None:
                    outcome.reset_after = True
            call = RecordedCall(
                method=RESPONSE_URL_METHOD,
                params={"token": token, **(body if isinstance(body, dict) else {})},
                headers=redacted_headers(headers),
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
        self.calls.append(call)
        self.changed.notify_all()

    def _notify(self, call: RecordedCall) -> None:
        with self.lock:
            listeners = list(self.listeners)
        for listener in listeners:
            try:
                listener(call)
            except Exception:
                log.exception("slack stand-in listener failed on %s", call.method)


def _fault_outcome(fault: Fault) -> Outcome:
    if fault.kind is FaultKind.RATE_LIMITED:
        retry_after = {"Retry-After": str(fault.retry_after)}
        return json_outcome(429, {"ok": False, "error": "ratelimited"}, retry_after)
    if fault.kind is FaultKind.SERVER_ERROR:
        return json_outcome(fault.status, {"ok": False, "error": "fatal_error"})
    return Outcome(0, b"", reset_before=True)
