"""The one backoff formula: growing from `base`, flat at `cap`, never overflowing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.backoff import capped_backoff


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [(-3, 0.5), (0, 0.5), (1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 5.0), (6, 5.0), (10**6, 5.0)],
)
def test_doubles_from_base_up_to_the_cap(attempt: int, expected: float) -> None:
    assert capped_backoff(attempt, base=0.5, cap=5.0) == expected


def test_another_growth_factor() -> None:
    delays = [capped_backoff(n, base=2.0, cap=10.0, factor=1.5) for n in range(1, 7)]
    assert delays == [2.0, 3.0, 4.5, 6.75, 10.0, 10.0]


@given(
    attempt=st.integers(min_value=-5, max_value=5000),
    base=st.floats(min_value=0.0, max_value=60.0),
    cap=st.floats(min_value=0.0, max_value=3600.0),
    factor=st.sampled_from([1.0, 1.5, 2.0, 3.0]),
)
def test_never_above_the_cap_never_below_zero_and_never_shrinking(
    attempt: int, base: float, cap: float, factor: float
) -> None:
    delay = capped_backoff(attempt, base=base, cap=cap, factor=factor)
    assert 0.0 <= delay <= cap
    assert capped_backoff(attempt + 1, base=base, cap=cap, factor=factor) >= delay
