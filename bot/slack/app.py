"""Build the one Bolt `App` of a process from its Runtime (no globals, nothing at import).

HTTP mode verifies every request with SLACK_SIGNING_SECRET (Bolt answers 401 before any
listener runs); Socket Mode requests are not signed and Bolt skips the check for them. Listeners
ack first: with `process_before_response=False` Bolt answers the HTTP request at `ack()` and the
rest of the listener runs on the listener executor.

Work that follows an ack (pre-flight, decisions, replies) must never hold a listener thread, or
later acks would queue behind it. Bolt takes one executor, at construction (`listener_executor`,
its documented seam), and runs listeners and lazy listeners on it alike; so the executor handed
to it is `ListenerPools`: listeners on one pool, and the listeners hand their post-ack work to a
second one (`ListenerPools.after_ack`). Nothing of Bolt's is replaced after it is built.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from slack_bolt import App

from bot.observability.bolt import ack_timer_middleware
from bot.runtime import Runtime
from bot.slack.auth import People
from bot.slack.listeners import register

__all__ = [
    "AFTER_ACK_THREADS",
    "LISTENER_THREADS",
    "ListenerPools",
    "build_app",
    "listener_pools",
    "shutdown_app",
]

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

LISTENER_THREADS = 16
# Post-ack work (pre-flight, decisions, replies); mostly waiting on ECS, Slack and the database.
AFTER_ACK_THREADS = 32


class ListenerPools(Executor):
    """Bolt's listener executor: listeners on `listeners`, their post-ack work on `after_ack`."""

    def __init__(self, *, listeners: Executor, after_ack: Executor) -> None:
        self.listeners = listeners
        self.after_ack = after_ack

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run a listener (what Bolt submits) on the listener pool."""
        return self.listeners.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the listeners first (they hand work on), then the post-ack pool."""
        self.listeners.shutdown(wait=wait, cancel_futures=cancel_futures)
        self.after_ack.shutdown(wait=wait, cancel_futures=cancel_futures)


def listener_pools(wrap: Callable[[Executor], Executor] = lambda pool: pool) -> ListenerPools:
    """Production's two pools; `wrap` decorates each (the console counts the work in them)."""
    return ListenerPools(
        listeners=wrap(ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="bolt-listener")),
        after_ack=wrap(ThreadPoolExecutor(AFTER_ACK_THREADS, thread_name_prefix="bolt-after-ack")),
    )


def build_app(
    runtime: Runtime,
    *,
    pools: ListenerPools,
    token_verification_enabled: bool = True,
    people: People | None = None,
) -> App:
    """The app with every listener registered; `auth.test` runs now unless disabled."""
    secret = runtime.settings.slack_signing_secret
    app = App(
        name="eni-bot",
        logger=logging.getLogger("bot.slack.bolt"),
        client=runtime.slack,
        signing_secret=secret.get_secret_value() if secret is not None else "",
        token_verification_enabled=token_verification_enabled,
        request_verification_enabled=True,
        process_before_response=False,
        listener_executor=pools,
    )
    app.use(ack_timer_middleware(runtime.metrics))
    register(app, runtime, people=people, after_ack=pools.after_ack)
    return app


def shutdown_app(app: App, *, wait: bool = True) -> None:
    """Let listeners that are still working after their ack finish, then stop their threads."""
    app.listener_runner.listener_executor.shutdown(wait=wait)
