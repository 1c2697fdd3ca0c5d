"""Waiting on a stand-in's Condition: what `wait_for` is on both Slack stand-ins.

Each stand-in notifies its Condition whenever what it records changes, so a waiter wakes on
the change itself; there is no polling.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(changed: threading.Condition, check: Callable[[], T | None], timeout: float) -> T:
    """Block until `check()` is truthy and return its value; TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    with changed:
        while True:
            value = check()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout} s")
            changed.wait(remaining)
