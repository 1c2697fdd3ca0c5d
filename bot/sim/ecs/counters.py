"""Call counters: how many calls of each action arrived and how each was answered.

Tests assert retries and fail-fast behaviour with these; benchmarks count Describe calls.
Result `OK` is a success, `ConnectionDropped` a call applied and then cut off; anything else is
the error code sent back.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

__all__ = ["DROPPED", "OK", "CallCounters"]

OK = "OK"
DROPPED = "ConnectionDropped"


class CallCounters:
    """Thread-safe counters per action, per (action, result), accepted detaches/attaches per ENI."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_action: Counter[str] = Counter()
        self._by_result: Counter[tuple[str, str]] = Counter()
        self._detaches: Counter[str] = Counter()
        self._attaches: Counter[str] = Counter()

    def record(self, action: str, result: str) -> None:
        """Count one answered call (`action` is "-" when the request named none)."""
        with self._lock:
            self._by_action[action] += 1
            self._by_result[(action, result)] += 1

    def record_detach(self, eni_id: str) -> None:
        """Count one detach the world accepted for `eni_id`."""
        with self._lock:
            self._detaches[eni_id] += 1

    def record_attach(self, eni_id: str) -> None:
        """Count one attach the world accepted for `eni_id`."""
        with self._lock:
            self._attaches[eni_id] += 1

    def total(self, action: str | None = None) -> int:
        """Calls of `action` (every action when None)."""
        with self._lock:
            if action is None:
                return sum(self._by_action.values())
            return self._by_action[action]

    def count(self, action: str, result: str) -> int:
        """Calls of `action` answered with `result` (OK, an error code, ConnectionDropped)."""
        with self._lock:
            return self._by_result[(action, result)]

    def results(self, action: str) -> dict[str, int]:
        """Result → count for one action."""
        with self._lock:
            return {r: n for (a, r), n in self._by_result.items() if a == action}

    def accepted_detaches(self, eni_id: str) -> int:
        """Detaches the world accepted for one ENI."""
        with self._lock:
            return self._detaches[eni_id]

    def accepted_attaches(self, eni_id: str) -> int:
        """Attaches the world accepted for one ENI."""
        with self._lock:
            return self._attaches[eni_id]

    def reset(self) -> None:
        """Forget every count."""
        with self._lock:
            self._by_action.clear()
            self._by_result.clear()
            self._detaches.clear()
            self._attaches.clear()

    def snapshot(self) -> dict[str, Any]:
        """Every count as plain data, for GET /_sim/calls."""
        with self._lock:
            by_result: dict[str, dict[str, int]] = {}
            for (action, result), n in sorted(self._by_result.items()):
                by_result.setdefault(action, {})[result] = n
            return {
                "total": sum(self._by_action.values()),
                "by_action": dict(sorted(self._by_action.items())),
                "by_result": by_result,
                "accepted_detaches": dict(sorted(self._detaches.items())),
                "accepted_attaches": dict(sorted(self._attaches.items())),
            }
