"""Build the one Bolt `App` of a process from its Runtime (no globals, nothing at import).

HTTP mode verifies every request with SLACK_SIGNING_SECRET (Bolt answers 401 before any
listener runs); Socket Mode requests are not signed and Bolt skips the check for them. Listeners
ack first: with `process_before_response=False` Bolt answers the HTTP request at `ack()` and the
rest of the listener runs on the listener executor, sized here for concurrent clicks.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_bolt.lazy_listener import ThreadLazyListenerRunner

from bot.observability.bolt import ack_timer_middleware
from bot.runtime import Runtime
from bot.slack.auth import People
from bot.slack.listeners import register

log = logging.getLogger(__name__)

LISTENER_THREADS = 16
# Post-ack work (pre-flight, decisions, replies); mostly waiting on ECS, Slack and the database.
AFTER_ACK_THREADS = 32


def build_app(
    runtime: Runtime,
    *,
    token_verification_enabled: bool = True,
    people: People | None = None,
) -> App:
    """The app with every listener registered; `auth.test` runs now unless disabled."""
    secret = runtime.settings.slack_signing_secret
    executor = ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="bolt-listener")
    app = App(
        name="eni-bot",
        logger=logging.getLogger("bot.slack.bolt"),
        client=runtime.slack,
        signing_secret=secret.get_secret_value() if secret is not None else "",
        token_verification_enabled=token_verification_enabled,
        request_verification_enabled=True,
        process_before_response=False,
        listener_executor=executor,
    )
    app.use(ack_timer_middleware(runtime.metrics))
    # Bolt's "lazy" runner is its notion of work after the ack; give it a pool of its own and
    # have the listeners hand their post-ack work to it.
    lazy = app.listener_runner.lazy_listener_runner
    if isinstance(lazy, ThreadLazyListenerRunner):
        lazy.executor = ThreadPoolExecutor(AFTER_ACK_THREADS, thread_name_prefix="bolt-after-ack")
        register(app, runtime, people=people, after_ack_executor=lambda: lazy.executor)
    else:
        register(app, runtime, people=people)
    return app


def shutdown_app(app: App, *, wait: bool = True) -> None:
    """Let listeners that are still working after their ack finish, then stop their threads."""
    runner = app.listener_runner
    runner.listener_executor.shutdown(wait=wait)
    lazy = runner.lazy_listener_runner
    if isinstance(lazy, ThreadLazyListenerRunner) and lazy.executor is not runner.listener_executor:
        lazy.executor.shutdown(wait=wait)
