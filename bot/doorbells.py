"""Wake-ups between the threads of one process (stdlib only: workers and the app both ring them)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

__all__ = ["Doorbells"]


@dataclass(frozen=True)
class Doorbells:
    """Wake-ups between threads of one process, so work starts at once instead of next tick.

    Other processes find the same work on their next periodic sweep; the database stays the
    only source of truth.
    """

    outbox: threading.Event = field(default_factory=threading.Event)
    executor: threading.Event = field(default_factory=threading.Event)
    poller: threading.Event = field(default_factory=threading.Event)
