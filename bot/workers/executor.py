"""The executor: claims a batch of targets to send and hands each to the execute use case.

What happens to one target (Describe, the pure decision, the intent committed before the
Detach, a lost answer settled by Describe, busy and trouble waits) is the domain's:
`bot.requests.executing.TargetExecution`. This loop adds the batch, the stop between targets
(the rest of the batch is given back), each target's log context, and `parallel`: the targets
of a batch are worked on by that many threads at once, because each one waits on ECS for most
of its time (a Describe, a Describe, a Detach: three round trips) and a request of many ENIs
would otherwise send them one after another whatever ENIBOT_BULK_CONCURRENCY allows.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.observability.context import request_context
from bot.requests.executing import ExecutionConfig, TargetExecution
from bot.requests.models import RequestTarget
from bot.requests.ports import SYSTEM_CLOCK, Ecs
from bot.requests.schemas import Policy

__all__ = ["Executor", "ExecutorConfig"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExecutorConfig(ExecutionConfig):
    """The use case's leases and waits, and how many targets one claim takes."""

    batch: int = 20
    parallel: int = 8  # targets of one batch worked on at once (threads)


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
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
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
        if self._config.parallel <= 1 or len(claimed) <= 1:
            for n, target in enumerate(claimed):
                if should_stop():
                    self._execution.release([t.id for t in claimed[n:]])
                    break
                self._one(target)
            return len(claimed)
        pool = self._threads()
        wait([pool.submit(self._one, target, should_stop) for target in claimed])
        return len(claimed)

    def _one(self, target: RequestTarget, should_stop: Callable[[], bool] = lambda: False) -> None:
        if should_stop():
            self._execution.release([target.id])  # not started: the next process takes it
            return
        try:
            with request_context(request_id=target.request_id):
                self._execution.run(target)
        except Exception:
            # A bug or a database hiccup: leave the lease to expire and try again later.
            log.exception("executor failed on request %d (%s)", target.request_id, target.eni_id)

    def _threads(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self._config.parallel, thread_name_prefix="eni-bot-executor"
                )
            return self._pool

    def close(self) -> None:
        """Stop the threads (after the current batch)."""
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    def execute(self, target_id: int) -> None:
        """Drive one leased target as far as it goes now."""
        self._execution.execute(target_id)

    def release(self, ids: list[int]) -> None:
        """Give leases back (shutdown)."""
        self._execution.release(ids)
