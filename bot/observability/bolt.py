"""Bolt global middleware: time each request to its ack, and instrument the listener's client.

In a sync Bolt app `next()` only marks the chain as continuing (the listener runs after the
middleware returns), so timing around `next()` would measure nothing. Instead the middleware puts
a timing `Ack` in the request context: the listener's `ack` argument is that object, and its
first call records the latency. The clock starts at `RECEIVED_AT` in the context when the HTTP
adapter put it there (a `time.perf_counter()` value taken on arrival), else when the middleware
runs, which is after signature verification.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from slack_bolt.context.ack import Ack
from slack_bolt.request import BoltRequest
from slack_bolt.request.payload_utils import (
    is_action,
    is_event,
    is_options,
    is_shortcut,
    is_slash_command,
    is_view,
)
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient

from bot.observability.metrics import Metrics
from bot.observability.slack_client import InstrumentedWebClient

__all__ = ["RECEIVED_AT", "ack_timer_middleware", "kind_of", "slack_client_middleware"]

# Context key for the arrival time (`time.perf_counter()`), set by the HTTP adapter if it can.
RECEIVED_AT = "eni_bot_received_at"

Middleware = Callable[[BoltRequest, BoltResponse, Callable[[], BoltResponse]], Any]


def kind_of(body: dict[str, Any]) -> str:
    """The ack-latency label for a Slack payload."""
    if is_slash_command(body):
        return "command"
    if is_action(body):
        return "action"
    if is_view(body):
        return "view"
    if is_event(body):
        return "event"
    if is_options(body):
        return "options"
    if is_shortcut(body):
        return "shortcut"
    return "other"


class TimedAck(Ack):
    """An `Ack` that records, on its first call, how long after arrival it was called."""

    def __init__(self, metrics: Metrics, kind: str, started: float) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._metrics = metrics
        self._kind = kind
        self._started = started
        self._recorded = False

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        """Ack as Bolt does; the first call is timed."""
        response: BoltResponse = super().__call__(*args, **kwargs)
        if not self._recorded:
            self._recorded = True
            self._metrics.observe_ack(self._kind, time.perf_counter() - self._started)
        return response


def ack_timer_middleware(metrics: Metrics) -> Middleware:
    """Global middleware (`app.use(...)`) that observes ack latency by kind."""

    def time_ack(
        req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        started = req.context.get(RECEIVED_AT)
        if not isinstance(started, float):
            started = time.perf_counter()
        req.context["ack"] = TimedAck(metrics, kind_of(req.body), started)
        return next()

    return time_ack


def slack_client_middleware(metrics: Metrics) -> Middleware:
    """Global middleware that swaps the per-request `client` for an instrumented copy.

    Bolt builds a plain `WebClient` for every request, so without this the listeners' own calls
    (views.open, responses) would not be counted.
    """

    def instrument_client(
        req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        client = req.context.get("client")
        if isinstance(client, WebClient) and not isinstance(client, InstrumentedWebClient):
            req.context["client"] = InstrumentedWebClient.like(client, metrics)
        return next()

    return instrument_client
