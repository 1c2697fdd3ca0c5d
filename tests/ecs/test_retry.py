"""Backoff stays within its bounds and the server's retry hint is read as milliseconds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bot.ecs
from bot.ecs.retry import RetryPolicy, parse_retry_after


@given(
    attempt=st.integers(min_value=1, max_value=60),
    jitter=st.floats(min_value=0.0, max_value=1.0),
    base=st.floats(min_value=0.0, max_value=5.0),
    cap=st.floats(min_value=0.0, max_value=30.0),
)
def test_full_jitter_backoff_is_bounded(
    attempt: int, jitter: float, base: float, cap: float
) -> None:
    policy = RetryPolicy(base_delay=base, max_delay=cap, random=lambda: jitter)
    delay = policy.backoff(attempt)
    assert 0.0 <= delay <= min(cap, base * 2 ** (attempt - 1)) + 1e-9


def test_server_hint_wins_only_when_longer() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=4.0, random=lambda: 1.0)
    assert policy.delay(1, None) == 1.0
    assert policy.delay(1, 3.0) == 3.0
    assert policy.delay(3, 0.5) == 4.0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("2500", 2.5), (" 100 ", 0.1), ("0", None), ("-5", None), ("soon", None), (None, None),
     ("nan", None), ("inf", None)],
)  # fmt: skip
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


@pytest.mark.parametrize("kwargs", [{"max_attempts": 0}, {"base_delay": -1.0}, {"max_total": 0.0}])
def test_policy_refuses_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_package_exports_resolve() -> None:
    for name in bot.ecs.__all__:
        assert getattr(bot.ecs, name) is not None
    with pytest.raises(AttributeError):
        _ = bot.ecs.NoSuchThing
