"""The composition root: parts built once, complete, and never replaced afterwards."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.bootstrap import build_runtime
from bot.config import load_settings
from bot.ecs.client import EcsCallObserver, EcsClient
from bot.ecs.credentials import StaticCredentials


def test_the_runtime_is_frozen(tmp_path: Path) -> None:
    runtime = build_runtime(load_settings(database_url=f"sqlite:///{tmp_path / 'bot.db'}"))
    try:
        with pytest.raises(dataclasses.FrozenInstanceError):
            runtime.ecs = runtime.ecs  # type: ignore[misc]
    finally:
        runtime.close()


def test_another_ecs_client_is_built_in_around_the_metrics_observer(tmp_path: Path) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    handed: list[EcsCallObserver] = []

    def sim_client(observer: EcsCallObserver) -> EcsClient:
        handed.append(observer)
        return EcsClient(
            credentials=StaticCredentials("sim-access-key", "sim-access-secret"),
            endpoint="http://127.0.0.1:9",
            observer=observer,
        )

    runtime = build_runtime(settings, ecs=sim_client)
    try:
        assert handed == [runtime.metrics.ecs_observer]
        assert "127.0.0.1:9" in repr(runtime.ecs)
    finally:
        runtime.close()
