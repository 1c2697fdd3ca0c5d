"""The executor: claims a batch of targets to send and hands each to the execute use case.

What happens to one target (Describe, the pure decision, the intent committed before the
Detach, a lost answer settled by Describe, busy and trouble waits) is the domain's:
`bot.requests.executing.TargetExecution`. This loop adds the batch, the stop between targets
(the rest of the batch is given back) and each target's log context.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.observability.context import request_context
from bot.requests.executing import ExecutionConfig, TargetExecution
from bot.requests.ports import SYSTEM_CLOCK, Ecs
from bot.requests.schemas import Policy

__all__ = ["Executor", "ExecutorConfig"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExecutorConfig(ExecutionConfig):
    """The use case's leases and waits, and how many targets one claim takes."""

    batch: int = 5


class Executor:
    """Claims targets to send and drives each to `in_flight` (or `failed`)."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        ecs: Ecs,
        policy: Policy,
        owner: str,
        config: ExecutorConfig | None = None,
        clock: Callable[[], datetime] = SYSTEM_CLOCK,
        poller_bell: Callable[[], None] | None = None,
    ) -> None:
        self._config = config or ExecutorConfig()
        self._execution = TargetExecution(
            sessions=sessions,
            ecs=ecs,
            policy=policy,
            owner=owner,
            config=self._config,
            clock=clock,
            on_sent=poller_bell or (lambda: None),
        )

    def run_once(self, *, should_stop: Callable[[], bool] = lambda: False) -> int:
        """Claim a batch and work through it; returns how many targets were claimed."""
        claimed = self._execution.claim(self._config.batch)
        for n, target in enumerate(claimed):
            if should_stop():
                self._execution.release([t.id for t in claimed[n:]])
                break
            try:
                with request_context(request_id=target.request_id):
                    self._execution.run(target)
            except Exception:
                # A bug or a database hiccup: leave the lease to expire and try again later.
                log.exception(
                    "executor failed on request %d (%s)", target.request_id, target.eni_id
                )
        return len(claimed)

    def execute(self, target_id: int) -> None:
        """Drive one leased target as far as it goes now."""
        self._execution.execute(target_id)

    def release(self, ids: list[int]) -> None:
        """Give leases back (shutdown)."""
        self._execution.release(ids)
