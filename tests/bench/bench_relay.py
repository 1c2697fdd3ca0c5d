"""Relay figures: messages per minute to one incident channel under a 1,000-request burst.

Run: .venv/bin/python tests/bench/bench_relay.py   (prints figures; asserts nothing)
1,000 requests finish at once; their thread messages are marked delivered beforehand so the
figure is the incident channel's alone. The Slack stand-in enforces ~1 post/s per channel
(burst 3), as Slack does, and counts any 429 it had to send.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[2])]

from slack_sdk import WebClient  # noqa: E402
from sqlalchemy import update  # noqa: E402

from bot import db  # noqa: E402
from bot.bootstrap import card_loader  # noqa: E402
from bot.outbox.models import OutboxMessage  # noqa: E402
from bot.outbox.relay import OutboxRelay, RelayConfig  # noqa: E402
from bot.requests import decisions, schemas  # noqa: E402
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN, SlackWebApiStandIn  # noqa: E402
from bot.slack.notifier import OutboxNotifier  # noqa: E402

from support.stack import APPROVER, CHANNEL, INCIDENTS  # noqa: E402
from support.workers_env import submit_and_approve  # noqa: E402

BURST = 1_000


def main() -> None:
    policy = schemas.Policy(incident_channel=INCIDENTS)
    with tempfile.TemporaryDirectory() as tmp, SlackWebApiStandIn() as slack:
        url = f"sqlite:///{tmp}/relay.db"
        db.upgrade(url)
        sessions = db.session_factory(db.make_engine(url))
        ids = submit_and_approve(sessions, policy, range(BURST))
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
            s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.kind != "incident_summary")
                .values(sent_at=db.utcnow())
            )
        slack.set_channel_rate_limit(per_second=1.0, burst=3)
        client = WebClient(token=DEFAULT_BOT_TOKEN, base_url=slack.api_url, retry_handlers=[])
        relay = OutboxRelay(
            sessions=sessions,
            sender=OutboxNotifier(client, card_loader(sessions)),
            owner="bench",
            config=RelayConfig(post_interval=1.0),
        )
        started = time.perf_counter()
        relay.drain(timeout=120)
        elapsed = time.perf_counter() - started
        posts = slack.messages(INCIDENTS)
        calls = slack.calls("chat.postMessage")
        limited = sum(1 for c in calls if c.status == 429)
        listed = sum(
            str(b).count("Request #") for m in posts for b in m.blocks if b["type"] == "section"
        )
        ok_times = sorted(c.time for c in calls if c.ok)
        first_minute = sum(1 for t in ok_times if t - ok_times[0] < 60) if ok_times else 0
        print(f"{BURST} requests finished at once -> incident channel {INCIDENTS}:")
        print(f"  messages posted: {len(posts)} (listing {listed} requests) in {elapsed:.1f} s")
        print(f"  messages in the first minute: {first_minute} (Slack's pace: ~60/min per channel)")
        print(f"  429 answers from Slack: {limited}; posts to {CHANNEL} in this run: 0 (pre-sent)")


if __name__ == "__main__":
    main()
