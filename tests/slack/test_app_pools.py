"""The Bolt app's executors: handed to Bolt at construction, post-ack work on a pool of its own."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from slack_harness import CHANNEL, ENI, REQUESTER, SECRET, Harness

from bot.bootstrap import build_app
from bot.sim.slack.sender import SlackSender
from bot.slack.app import ListenerPools, shutdown_app
from bot.slack.server import EVENTS_PATH, HttpServer

P = ParamSpec("P")
T = TypeVar("T")


class Tally(Executor):
    """A thread pool that counts what it was given."""

    def __init__(self, name: str) -> None:
        self._pool = ThreadPoolExecutor(4, thread_name_prefix=name)
        self._lock = threading.Lock()
        self.submitted = 0

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._lock:
            self.submitted += 1
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def test_bolt_is_given_the_pools_at_construction_and_keeps_them(harness: Harness) -> None:
    pools = ListenerPools(listeners=Tally("listeners"), after_ack=Tally("after-ack"))
    app = build_app(harness.runtime, pools=pools)
    try:
        runner = app.listener_runner
        assert runner.listener_executor is pools
        # Bolt's lazy listeners share the executor it was given: nothing was put in its place.
        assert getattr(runner.lazy_listener_runner, "executor", None) is pools
    finally:
        shutdown_app(app)


def test_a_detach_acks_on_the_listener_pool_and_works_on_the_after_ack_pool(
    harness: Harness,
) -> None:
    listeners, after_ack = Tally("listeners"), Tally("after-ack")
    app = build_app(harness.runtime, pools=ListenerPools(listeners=listeners, after_ack=after_ack))
    with HttpServer(harness.runtime, app=app) as server:
        sender = SlackSender(server.url + EVENTS_PATH, SECRET, stand_in=harness.slack)
        try:
            response = sender.command(
                f"detach {ENI} cleanup", user_id=REQUESTER, channel_id=CHANNEL
            )
            assert response.status_code == 200
            url = sender.last.response_url if sender.last is not None else None
            assert url
            posts = harness.slack.wait_for(lambda s: s.responses(url))
        finally:
            sender.close()
    assert "waiting for approval" in posts[0].text
    # The listener acked on its pool; the pre-flight and the reply ran on the other one.
    assert (listeners.submitted, after_ack.submitted) == (1, 1)
