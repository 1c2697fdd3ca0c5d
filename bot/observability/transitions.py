"""Count status transitions when they commit, by watching the audit rows a session writes.

Every status change in the store appends a `RequestEvent` with `to_status` in the same
transaction (`service.transition`, `service.submit`), so listening on the session factory counts
all of them without the domain knowing about metrics, and a rolled-back move is never counted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from bot.requests.models import RequestEvent

TransitionSink = Callable[[str | None, str], None]

_PENDING = "eni_bot.metrics.pending_transitions"


class TransitionHook:
    """Session-factory listeners: collect audit rows at flush, report them after commit."""

    def __init__(self, sink: TransitionSink) -> None:
        self._sink = sink
        self._target: sessionmaker[Session] | None = None

    def attach(self, sessions: sessionmaker[Session]) -> None:
        """Listen on `sessions` (and stop listening on any factory attached before)."""
        self.detach()
        event.listen(sessions, "after_flush", self._after_flush)
        event.listen(sessions, "after_commit", self._after_commit)
        event.listen(sessions, "after_rollback", self._after_rollback)
        self._target = sessions

    def detach(self) -> None:
        """Stop listening."""
        if self._target is None:
            return
        event.remove(self._target, "after_flush", self._after_flush)
        event.remove(self._target, "after_commit", self._after_commit)
        event.remove(self._target, "after_rollback", self._after_rollback)
        self._target = None

    def _after_flush(self, session: Session, _context: Any) -> None:
        # `session.new` still lists the rows just flushed while this event runs.
        moves = [
            (obj.from_status, obj.to_status)
            for obj in session.new
            if isinstance(obj, RequestEvent) and obj.to_status
        ]
        if moves:
            session.info.setdefault(_PENDING, []).extend(moves)

    def _after_commit(self, session: Session) -> None:
        moves: list[tuple[str | None, str]] = session.info.pop(_PENDING, [])
        for source, target in moves:
            self._sink(source, target)

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(_PENDING, None)
