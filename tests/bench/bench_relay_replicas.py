"""Three relay processes, one channel: Slack calls per second and 429s, per-process vs shared pace.

Run: .venv/bin/python tests/bench/bench_relay_replicas.py [--requests 60] [--speed 1] [--sqlite]
(prints figures; asserts nothing). For each pacing mode: a fresh PostgreSQL database (a
throwaway local server, or ENIBOT_TEST_POSTGRES_URL; --sqlite for a SQLite file) holds 60
requests that finished (submitted, then cancelled) in one channel: a card and a reply each to
post, a card update each. Three real `python` processes each run an OutboxRelay with its own
owner (holding at most 10 rows at once, so all three work the channel together) against that
database and the Slack stand-in, which enforces Slack's real limit
(chat.postMessage: 1 per second per channel, bursts of 3, 429 with Retry-After beyond). The
figures are the stand-in's: what Slack would have seen. --speed N scales the limit and the
relay's pace together (N times faster) for a quick look.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[2])]

from slack_sdk import WebClient  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from bot import db  # noqa: E402
from bot.bootstrap import card_loader  # noqa: E402
from bot.outbox.models import OutboxMessage  # noqa: E402
from bot.outbox.relay import OutboxRelay, RelayConfig  # noqa: E402
from bot.requests import decisions, schemas  # noqa: E402
from bot.sim.slack.records import RecordedCall  # noqa: E402
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN, SlackWebApiStandIn  # noqa: E402
from bot.slack.notifier import OutboxNotifier  # noqa: E402

from support.stack import APPROVER, CHANNEL  # noqa: E402
from support.workers_env import submit_and_approve  # noqa: E402

REPLICAS = 3
SLACK_PER_SECOND = 1.0  # Slack's chat.postMessage limit per channel
SLACK_BURST = 3
TIMEOUT = 900.0
# Rows each relay holds at once: small, so all three hold rows of the channel together, as they
# do under a burst larger than three default batches (50 each).
BATCH = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--child", nargs=4, metavar=("DB", "SLACK", "SHARED", "OWNER"))
    args = parser.parse_args()
    if args.child:
        database_url, slack_url, shared, owner = args.child
        run_child(database_url, slack_url, shared=shared == "1", owner=owner, speed=args.speed)
        return
    print(
        f"{REPLICAS} relay processes, {args.requests} finished requests in one channel, Slack's "
        f"limit {SLACK_PER_SECOND * args.speed:g}/s per channel (burst {SLACK_BURST}) switched on"
    )
    for label, shared in (("before: per-process pace", False), ("after:  shared pace", True)):
        with database(args.sqlite) as url:
            figures = run(url, requests=args.requests, shared=shared, speed=args.speed)
        print(f"{label} ({'SQLite' if args.sqlite else 'PostgreSQL'}): {figures}")


@contextlib.contextmanager
def database(use_sqlite: bool) -> Iterator[str]:
    """A fresh database for one run."""
    if use_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/replicas.db"
        return
    from support.postgres import postgres_server

    with postgres_server() as server, server.fresh_database() as url:
        yield url


def run(url: str, *, requests: int, shared: bool, speed: float) -> str:
    """Fill the outbox, let three relay processes drain it, and describe what Slack saw."""
    db.upgrade(url)
    engine = db.make_engine(url)
    sessions = db.session_factory(engine)
    policy = schemas.Policy()  # no incident channel: every message goes to CHANNEL
    ids = submit_and_approve(sessions, policy, range(requests), approve=False)
    with db.transaction(sessions) as s:
        for rid in ids:
            decisions.cancel(
                s,
                request_id=rid,
                actor_id=APPROVER,
                actor_is_approver=True,
                policy=policy,
                now=db.utcnow(),
            )
    with SlackWebApiStandIn(channels=[CHANNEL]) as slack:
        slack.set_channel_rate_limit(per_second=SLACK_PER_SECOND * speed, burst=SLACK_BURST)
        started = time.monotonic()
        children = [spawn(url, slack.api_url, shared, f"bench:{n}", speed) for n in range(REPLICAS)]
        try:
            while unsent(sessions) and time.monotonic() - started < TIMEOUT:
                time.sleep(0.2)
        finally:
            for child in children:
                child.send_signal(signal.SIGTERM)
            for child in children:
                child.wait(30)
        elapsed = time.monotonic() - started
        left = unsent(sessions)
        posts = [c for c in slack.calls("chat.postMessage") if c.params.get("channel") == CHANNEL]
    engine.dispose()
    return describe(posts, elapsed=elapsed, left=left)


def spawn(
    url: str, slack_url: str, shared: bool, owner: str, speed: float
) -> subprocess.Popen[bytes]:
    """One relay process (this script with --child)."""
    argv = [sys.executable, __file__, "--speed", str(speed), "--child", url, slack_url]
    return subprocess.Popen([*argv, "1" if shared else "0", owner], env=dict(os.environ))


def unsent(sessions: sessionmaker[Session]) -> int:
    """Outbox rows not yet delivered."""
    with sessions() as s:
        stmt = (
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )
        return int(s.scalar(stmt) or 0)


def describe(posts: Sequence[RecordedCall], *, elapsed: float, left: int) -> str:
    """chat.postMessage calls per second (all, and the busiest second), accepted, and 429s."""
    times = sorted(c.time for c in posts)
    limited = sum(1 for c in posts if c.status == 429)
    accepted = sorted(c.time for c in posts if c.ok)
    span = (times[-1] - times[0]) if len(times) > 1 else 0.0
    return (
        f"{len(posts)} chat.postMessage calls in {span:.1f} s "
        f"({len(posts) / span if span else 0:.2f} calls/s, busiest second {busiest(times)}), "
        f"{len(accepted)} accepted ({busiest(accepted)} in the busiest second), "
        f"429s: {limited}; drained in {elapsed:.1f} s, {left} rows left"
    )


def busiest(times: Sequence[float]) -> int:
    """Most calls within any one-second window."""
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def run_child(url: str, slack_url: str, *, shared: bool, owner: str, speed: float) -> None:
    """A relay process: tick until SIGTERM, then give its leases back."""
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    engine = db.make_engine(url)
    client = WebClient(token=DEFAULT_BOT_TOKEN, base_url=slack_url, timeout=10, retry_handlers=[])
    sessions = db.session_factory(engine)
    relay = OutboxRelay(
        sessions=sessions,
        sender=OutboxNotifier(client, card_loader(sessions)),
        owner=f"{owner}:{os.getpid()}",
        config=RelayConfig(
            post_interval=1.0 / speed, shared_pace=shared, claim_every=0.2, batch=BATCH
        ),
    )
    try:
        while not stopping:
            delay = relay.tick()
            if delay > 0:
                time.sleep(min(delay, 0.2))
    finally:
        relay.release_all()
        engine.dispose()


if __name__ == "__main__":
    main()
