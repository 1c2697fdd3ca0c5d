"""Waiting on a condition: tests and benchmarks poll for what they need, never sleep it out."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 20.0,
    every: float = 0.05,
    *,
    what: str = "condition",
) -> T:
    """Poll `predicate` until truthy; its value, or TimeoutError naming `what` after `timeout` s.

    Conditions across threads and processes have nothing to wait on, so they are polled.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met within {timeout} s")
        time.sleep(every)
