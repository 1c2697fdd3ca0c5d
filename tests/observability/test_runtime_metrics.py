"""build_runtime wires one Metrics: bound to the runtime's database, observing its ECS client."""

from __future__ import annotations

from obs_scrape import value

from bot.bootstrap import build_runtime
from bot.config import load_settings
from bot.observability.metrics import Metrics

from support.store import submit


def test_build_runtime_binds_metrics_to_its_database_and_ecs_client(sqlite_url: str) -> None:
    runtime = build_runtime(load_settings(database_url=sqlite_url), migrate=True)
    try:
        assert value(runtime.metrics, "eni_bot_database_up") == 1
        submit(runtime.sessions)
        assert value(runtime.metrics, "eni_bot_requests", state="pending") == 1
        transitions = "eni_bot_transitions_total"
        assert value(runtime.metrics, transitions, from_state="none", to_state="pending") == 1
        assert runtime.ecs._rpc._observer is runtime.metrics.ecs_observer
    finally:
        runtime.close()


def test_two_runtimes_have_separate_registries(sqlite_url: str) -> None:
    first = build_runtime(load_settings(database_url=sqlite_url), migrate=True)
    second = build_runtime(load_settings(database_url=sqlite_url), migrate=False)
    try:
        assert isinstance(first.metrics, Metrics)
        assert first.metrics.registry is not second.metrics.registry
    finally:
        first.close()
        second.close()
