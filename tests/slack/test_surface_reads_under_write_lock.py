"""Pure reads never wait for SQLite's write lock (CONTRACT: health and metrics read without it).

Another connection takes the write lock (`BEGIN IMMEDIATE`, as every writer does) and holds it
for `HOLD` seconds. /readyz, /metrics, `/eni status`, `/eni list` and App Home must answer while
it is held: each is timed against the hold, so a read that queued behind the writer (and got
the lock only when it was let go, or "database is locked" after the busy timeout) fails.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from slack_harness import APPROVER, ENI, Harness, submit_request
from sqlalchemy import make_url
from test_surface_server import get

from bot.sim.slack.records import View

HOLD = 3.0  # seconds the writer holds the lock; every read must be done well within it

T = TypeVar("T")


@contextmanager
def write_lock_held(harness: Harness) -> Iterator[threading.Event]:
    """Another connection holds SQLite's write lock until the block ends (or HOLD passes)."""
    path = make_url(harness.runtime.settings.database_url).database
    assert path is not None
    taken, done = threading.Event(), threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE detach_request SET reason = reason")
            taken.set()
            done.wait(HOLD)
            conn.execute("ROLLBACK")
        finally:
            conn.close()

    holder = threading.Thread(target=hold, name="write-lock-holder")
    holder.start()
    assert taken.wait(5)
    try:
        yield done
    finally:
        done.set()
        holder.join(10)


def under_the_lock(harness: Harness, action: Callable[[], T]) -> tuple[T, float]:
    """Run `action` while another connection holds the write lock; its result and duration."""
    with write_lock_held(harness):
        began = time.monotonic()
        result = action()
        return result, time.monotonic() - began


def test_readyz_answers_while_a_writer_holds_the_lock(harness: Harness) -> None:
    submit_request(harness)
    (status, _, body), took = under_the_lock(harness, lambda: get(harness, "/readyz"))
    assert (status, body.strip()) == (200, "ok")
    assert took < HOLD / 3, took  # queued behind the writer it would take the whole hold


def test_metrics_answer_while_a_writer_holds_the_lock(harness: Harness) -> None:
    submit_request(harness)
    (status, _, metrics), took = under_the_lock(harness, lambda: get(harness, "/metrics"))
    assert status == 200
    assert "eni_bot_database_up 1.0" in metrics
    assert 'eni_bot_requests{state="pending"} 1.0' in metrics
    assert took < HOLD / 3, took


def test_status_and_list_answer_while_a_writer_holds_the_lock(harness: Harness) -> None:
    rid = submit_request(harness)
    status, status_took = under_the_lock(harness, lambda: harness.run(f"status {ENI}"))
    listing, list_took = under_the_lock(harness, lambda: harness.run("list pending", APPROVER))
    assert f"#{rid}" in status.text, status.text
    assert "waiting for approval: 1" in listing.text, listing.text
    assert f"#{rid}" in str(listing.body["blocks"])
    assert status_took < HOLD / 3, status_took
    assert list_took < HOLD / 3, list_took


def test_app_home_answers_while_a_writer_holds_the_lock(harness: Harness) -> None:
    rid = submit_request(harness)

    def home() -> View:
        harness.sender.app_home_opened(APPROVER)
        return harness.slack.wait_for(lambda s: s.home(APPROVER), timeout=HOLD * 2)

    shown, took = under_the_lock(harness, home)
    assert str(rid) in str(shown.definition["blocks"])
    assert took < HOLD / 3, took
