"""PostgreSQL stopped for ten seconds mid-run: not ready meanwhile, then everything finishes once.

Six requests are approved and in flight (Detach being sent, ENIs Detaching, outbox rows being
posted) when the server is stopped with `pg_ctl stop -m fast`. While it is down /readyz says 503
and a command still gets an answer; once it is back /readyz says 200 and every request ends
detached with one Detach each and every Slack message posted exactly once.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest
from fault_stack import RestartablePostgres, running_bot

from support.postgres import PostgresUnavailableError, postgres_required
from support.stack import CHANNEL, INCIDENTS, REQUESTER, Stack
from support.waiting import wait_until
from support.workers_env import eni_id, make_world

OUTAGE_SECONDS = 10.0
REQUESTS = 6


@pytest.fixture
def postgres(original_environ: dict[str, str]) -> Iterator[RestartablePostgres]:
    """A server of this test's own: stopping the session's would break other tests."""
    try:
        server = RestartablePostgres.start()
    except PostgresUnavailableError as exc:
        if postgres_required(original_environ):
            pytest.fail(f"ENIBOT_REQUIRE_POSTGRES is set but {exc}", pytrace=False)
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.close()


def _thread_texts(bot: Stack, rid: int) -> list[str]:
    return [m.text for m in bot.thread(rid)]


@pytest.mark.postgres
def test_database_down_for_ten_seconds_mid_run_loses_nothing(
    postgres: RestartablePostgres,
) -> None:
    world = make_world(REQUESTS + 1, detach_delay=1.0)
    with running_bot(postgres.new_database_url(), world) as bot:
        assert bot.readyz() == 200
        ids = [bot.request_detach(eni_id(n), f"moving NIC {n}") for n in range(REQUESTS)]
        for rid in ids:
            bot.approve(rid)

        # Stop while work is in flight, so the outage hits Detach calls, polls and posts.
        in_flight = [rid for rid in ids if bot.request(rid).status != "detached"]
        assert in_flight, "everything finished before the outage; nothing was tested"
        postgres.stop_server()
        down_at = time.monotonic()
        wait_until(lambda: bot.readyz() == 503, timeout=10)
        # The app still answers Slack while the database is away (the ack needs no database)
        # and tells the person something rather than nothing.
        response = bot.sender.command(
            f"detach {eni_id(REQUESTS)} during the outage", user_id=REQUESTER, channel_id=CHANNEL
        )
        assert response.status_code == 200
        assert bot.sender.last is not None and bot.sender.last.response_url
        told = bot.sender.last.response_url
        bot.slack.wait_for(lambda s: s.responses(told), timeout=15)
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))
        assert bot.readyz() == 503
        postgres.start_server()

        wait_until(lambda: bot.readyz() == 200, timeout=15)
        wait_until(lambda: all(bot.request(rid).status == "detached" for rid in ids), timeout=45)
        wait_until(lambda: bot.undelivered() == 0, timeout=20)

        for n in range(REQUESTS):
            assert bot.ecs.calls.accepted_detaches(eni_id(n)) == 1, eni_id(n)
        cards = bot.slack.messages(CHANNEL)
        card_of = Counter(m.ts for m in cards)
        assert len(cards) == REQUESTS and all(n == 1 for n in card_of.values())
        for rid in ids:
            texts = _thread_texts(bot, rid)
            duplicates = [t for t, n in Counter(texts).items() if n > 1]
            assert duplicates == [], (rid, texts)
            assert "Available" in texts[-1], (rid, texts)
            card = bot.slack.message(CHANNEL, bot.request(rid).card_ts or "")
            assert card is not None and "Available" in card.text
        summaries = Counter(m.text for m in bot.slack.messages(INCIDENTS))
        assert len(summaries) == REQUESTS and set(summaries.values()) == {1}
