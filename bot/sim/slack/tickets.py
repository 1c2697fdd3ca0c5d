"""The tickets in the WebSocket URLs `apps.connections.open` hands out.

Slack's link URLs are single-use and short-lived: a ticket opens one connection, once, within
its lifetime, and only on the `/link` path. Refused tickets are kept for tests to look at.
Not thread-safe by itself: the Socket Mode stand-in calls it with its lock held.
"""

from __future__ import annotations

import time
import uuid
from urllib.parse import parse_qs, urlsplit


class Tickets:
    """Issued tickets not yet used, and every ticket a handshake presented in vain."""

    def __init__(self, lifetime: float) -> None:
        self.lifetime = lifetime
        self._issued: dict[str, float] = {}
        self.refused: list[str] = []

    def issue(self) -> str:
        """A fresh ticket, valid for one handshake within `lifetime` seconds."""
        ticket = uuid.uuid4().hex
        self._issued[ticket] = time.monotonic()
        return ticket

    def redeem(self, path: str) -> tuple[str, bool]:
        """The ticket of a handshake's request path, and whether it opens the connection."""
        parts = urlsplit(path)
        ticket = (parse_qs(parts.query).get("ticket") or [""])[0]
        issued = self._issued.pop(ticket, None)
        fresh = issued is not None and time.monotonic() - issued <= self.lifetime
        if parts.path.rstrip("/") != "/link" or not fresh:
            self.refused.append(ticket)
            return ticket, False
        return ticket, True
