"""`Metrics`: every series /metrics exposes, on a registry owned by one runtime.

Counters and histograms are fed by the parts that see the events (`observe_*`, the ECS client's
observer, the instrumented Slack client, the Bolt ack middleware); gauges about requests and the
outbox are read from the database at scrape time (`collectors`). Label values that come from
outside (Slack error strings, ECS codes) are trimmed so a misbehaving peer cannot blow up the
number of series.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.observability.collectors import DatabaseCollector
from bot.observability.transitions import TransitionHook

__all__ = ["ACK_KINDS", "PREFIX", "EcsCallMetrics", "Metrics"]

PREFIX = "eni_bot"
ACK_KINDS = frozenset({"command", "action", "view", "event", "options", "shortcut", "other"})

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0)
_ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0)
_POLL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_ENI_BUCKETS = (1, 2, 5, 10, 20, 50, 100)
_LABEL_CHARS = re.compile(r"[^A-Za-z0-9_.:-]")
_MAX_LABEL = 64


def _label(value: str | None, default: str = "unknown") -> str:
    """A bounded, printable label value."""
    if not value:
        return default
    return _LABEL_CHARS.sub("_", value)[:_MAX_LABEL]


class EcsCallMetrics:
    """The ECS client's `EcsCallObserver`: one count and one latency sample per HTTP attempt."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def on_call(self, action: str, code: str, seconds: float, attempt: int) -> None:
        """Record one attempt (`code` is "OK" on success)."""
        self._metrics.observe_ecs_call(action, code, seconds, attempt)


class Metrics:
    """The bot's Prometheus series on a private registry; thread-safe like prometheus_client."""

    def __init__(
        self,
        sessions: sessionmaker[Session] | None = None,
        *,
        clock: Callable[[], datetime] = db.utcnow,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._database = DatabaseCollector(PREFIX, clock)
        self.registry.register(self._database)
        self._transition_hook = TransitionHook(self.observe_transition)
        r = self.registry
        self.transitions = Counter(
            f"{PREFIX}_transitions",
            "Committed request status changes (from 'none' for a new request)",
            ["from_state", "to_state"],
            registry=r,
        )
        self.ecs_calls = Counter(
            f"{PREFIX}_ecs_calls",
            "ECS HTTP attempts by action and result code (OK on success)",
            ["action", "code"],
            registry=r,
        )
        self.ecs_retries = Counter(
            f"{PREFIX}_ecs_retries",
            "ECS attempts after the first, by action",
            ["action"],
            registry=r,
        )
        self.ecs_seconds = Histogram(
            f"{PREFIX}_ecs_call_seconds",
            "ECS HTTP attempt latency",
            ["action"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.slack_calls = Counter(
            f"{PREFIX}_slack_calls",
            "Slack Web API calls by method and result (ok or the error)",
            ["method", "result"],
            registry=r,
        )
        self.slack_rate_limited = Counter(
            f"{PREFIX}_slack_rate_limited",
            "Slack HTTP 429 answers (each one, including those retried)",
            ["method"],
            registry=r,
        )
        self.slack_seconds = Histogram(
            f"{PREFIX}_slack_call_seconds",
            "Slack Web API call latency, retries included",
            ["method"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.poll_cycle_seconds = Histogram(
            f"{PREFIX}_poll_cycle_seconds",
            "Duration of one poller cycle",
            buckets=_POLL_BUCKETS,
            registry=r,
        )
        self.enis_per_describe = Histogram(
            f"{PREFIX}_enis_per_describe_call",
            "ENIs asked about per DescribeNetworkInterfaces call",
            buckets=_ENI_BUCKETS,
            registry=r,
        )
        self.ack_seconds = Histogram(
            f"{PREFIX}_ack_seconds",
            "Time from a Slack request's arrival to its ack, by kind",
            ["kind"],
            buckets=_ACK_BUCKETS,
            registry=r,
        )
        self.ecs_observer = EcsCallMetrics(self)
        if sessions is not None:
            self.bind_database(sessions)

    def __repr__(self) -> str:
        bound = self._database.sessions is not None
        return f"Metrics(database_bound={bound})"

    # ---- wiring ----

    def bind_database(
        self, sessions: sessionmaker[Session], *, count_transitions: bool = True
    ) -> None:
        """Read request and outbox gauges through `sessions`; count commits' transitions."""
        self._database.sessions = sessions
        if count_transitions:
            self._transition_hook.attach(sessions)
        else:
            self._transition_hook.detach()

    # ---- observations ----

    def observe_transition(self, from_state: str | None, to_state: str) -> None:
        """One committed status change; `from_state` None for a newly created request."""
        self.transitions.labels(_label(from_state, "none"), _label(to_state)).inc()

    def observe_ecs_call(self, action: str, code: str, seconds: float, attempt: int) -> None:
        """One ECS HTTP attempt."""
        action = _label(action)
        self.ecs_calls.labels(action, _label(code)).inc()
        self.ecs_seconds.labels(action).observe(max(0.0, seconds))
        if attempt > 1:
            self.ecs_retries.labels(action).inc()

    def observe_slack_call(self, method: str, ok: bool, error: str | None, seconds: float) -> None:
        """One Slack Web API call as the caller saw it (after any retries)."""
        method = _label(method)
        result = "ok" if ok else _label(error, "error")
        self.slack_calls.labels(method, result).inc()
        self.slack_seconds.labels(method).observe(max(0.0, seconds))

    def observe_rate_limited(self, method: str) -> None:
        """One HTTP 429 from Slack."""
        self.slack_rate_limited.labels(_label(method)).inc()

    def observe_poll_cycle(self, seconds: float, enis: int, describe_calls: int) -> None:
        """One poller cycle: its duration and how many ENIs each Describe call carried.

        The poller knows the totals, not each call's share, so the ENIs are spread evenly over
        the calls (exact when every call but the last is full, as the client batches them).
        """
        self.poll_cycle_seconds.observe(max(0.0, seconds))
        if describe_calls <= 0 or enis <= 0:
            return
        share, extra = divmod(enis, describe_calls)
        for i in range(describe_calls):
            self.enis_per_describe.observe(share + (1 if i < extra else 0))

    def observe_ack(self, kind: str, seconds: float) -> None:
        """Time from a request's arrival to its ack; `kind` command/action/view/event/…"""
        self.ack_seconds.labels(kind if kind in ACK_KINDS else "other").observe(max(0.0, seconds))

    # ---- exposition ----

    def render(self, accept: str | None = None) -> tuple[bytes, str]:
        """The /metrics body and its Content-Type (OpenMetrics when `accept` asks for it)."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type
