"""Requests of several ENIs through the real workers, ECS simulator and Slack stand-in.

CONTRACT "Several ENIs in one request": one card, one approval, each ENI detached once and at
most ENIBOT_BULK_CONCURRENCY at a time, a readable thread (a reply when detaching starts, one
per ENI that fails or is stuck, one finishing reply naming every ENI), the card's progress,
one incident summary with the counts, and the failure budget.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from bot.requests.models import RequestTarget
from bot.requests.states import TargetStatus
from bot.sim.ecs.faults import FaultSpec
from bot.slack.ids import ActionId

from support.stack import INCIDENTS, Stack, StackFactory
from support.waiting import wait_until
from support.workers_env import (
    action_ids,
    block_text,
    card_and_thread,
    eni_id,
    make_world,
    request,
    submit_several,
    unsent,
)


def _finished(bot: Stack, rid: int, status: str, timeout: float = 30) -> None:
    sessions = bot.runtime.sessions
    wait_until(lambda: request(sessions, rid).status == status, timeout)
    wait_until(lambda: unsent(sessions) == 0, timeout)


def _thread(bot: Stack, rid: int) -> list[str]:
    req = request(bot.runtime.sessions, rid)
    assert req.card_ts is not None
    _, replies = card_and_thread(bot.slack, req.card_ts)
    return [block_text(m) for m in replies]


def test_one_approval_detaches_every_eni_once_with_a_readable_thread(
    make_bot: StackFactory,
) -> None:
    bot = make_bot(make_world(8, detach_delay=0.2), bulk_concurrency=3)
    rid = submit_several(bot.runtime.sessions, bot.runtime.policy, range(8))
    bot.start_workers()
    bot.ring()
    _finished(bot, rid, "detached")
    assert [bot.ecs.calls.accepted_detaches(eni_id(n)) for n in range(8)] == [1] * 8
    texts = _thread(bot, rid)
    # Approved, detaching started, finished: no reply per ENI that simply became Available.
    assert len(texts) == 3, texts
    assert "Approved by" in texts[0]
    assert "Detaching 8 ENIs" in texts[1]
    assert "8 of 8 Available" in texts[2]
    assert all(eni_id(n) in texts[2] for n in range(8))
    req = request(bot.runtime.sessions, rid)
    card, _ = card_and_thread(bot.slack, req.card_ts or "")
    shown = block_text(card)
    assert "(8 ENIs)" in shown and "8 of 8 Available" in shown and "tag:team=web" in shown
    assert all(eni_id(n) in shown for n in range(8))
    assert action_ids(card) == []
    [summary] = bot.slack.messages(INCIDENTS)
    assert f"#{rid}" in summary.text and "8 ENIs" in block_text(summary)
    assert "8 available" in block_text(summary)


def test_no_more_than_the_concurrency_are_in_transition_at_once(make_bot: StackFactory) -> None:
    bot = make_bot(make_world(9, detach_delay=0.4), bulk_concurrency=2)
    rid = submit_several(bot.runtime.sessions, bot.runtime.policy, range(9))
    seen: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            with bot.runtime.sessions() as s:
                seen.append(
                    int(
                        s.scalar(
                            select(func.count()).where(
                                RequestTarget.request_id == rid,
                                RequestTarget.status.in_(["sending", "in_flight"]),
                            )
                        )
                        or 0
                    )
                )
            done.wait(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    bot.start_workers()
    bot.ring()
    try:
        _finished(bot, rid, "detached", timeout=60)
    finally:
        done.set()
        watcher.join(5)
    assert max(seen) == 2, max(seen)  # it did run two at once, and never three
    assert [bot.ecs.calls.accepted_detaches(eni_id(n)) for n in range(9)] == [1] * 9


def test_a_failure_past_the_budget_skips_what_was_not_sent(make_bot: StackFactory) -> None:
    bot = make_bot(make_world(5), bulk_concurrency=1, bulk_max_failures=0)
    bot.ecs.faults.add(
        FaultSpec(
            kind="error", action="DetachNetworkInterface", eni_id=eni_id(1), code="Forbidden.RAM"
        )
    )
    rid = submit_several(bot.runtime.sessions, bot.runtime.policy, range(5))
    bot.start_workers()
    bot.ring()
    _finished(bot, rid, "failed")
    req = request(bot.runtime.sessions, rid)
    states = [t.state for t in req.targets]
    assert states[0] is TargetStatus.DONE
    assert states[1] is TargetStatus.FAILED
    assert states[2:] == [TargetStatus.SKIPPED] * 3  # never sent
    assert [bot.ecs.calls.accepted_detaches(eni_id(n)) for n in range(5)] == [1, 0, 0, 0, 0]
    texts = _thread(bot, rid)
    failed = [t for t in texts if f"Failed: `{eni_id(1)}`" in t]
    assert len(failed) == 1 and "Forbidden.RAM" in failed[0] and "What to do" in failed[0]
    assert "Skipped" in texts[-1] and "1 of 5 Available" in texts[-1]
    [summary] = bot.slack.messages(INCIDENTS)
    assert "1 failed" in block_text(summary) and "3 skipped" in block_text(summary)


def test_a_budget_of_one_failure_carries_on(make_bot: StackFactory) -> None:
    bot = make_bot(make_world(4), bulk_concurrency=1, bulk_max_failures=1)
    bot.ecs.faults.add(
        FaultSpec(
            kind="error", action="DetachNetworkInterface", eni_id=eni_id(0), code="Forbidden.RAM"
        )
    )
    rid = submit_several(bot.runtime.sessions, bot.runtime.policy, range(4))
    bot.start_workers()
    bot.ring()
    _finished(bot, rid, "failed")
    states = [t.state for t in request(bot.runtime.sessions, rid).targets]
    assert states == [TargetStatus.FAILED] + [TargetStatus.DONE] * 3


def test_a_stuck_eni_gets_its_own_reply_and_keeps_the_request_open_until_retried(
    make_bot: StackFactory,
) -> None:
    bot = make_bot(make_world(3, stuck=[2]), stuck_after=1.0)
    rid = submit_several(bot.runtime.sessions, bot.runtime.policy, range(3))
    bot.start_workers()
    bot.ring()
    _finished(bot, rid, "stuck")
    texts = _thread(bot, rid)
    stuck = [t for t in texts if "Stuck:" in t]
    assert len(stuck) == 1 and eni_id(2) in stuck[0]
    req = request(bot.runtime.sessions, rid)
    _, replies = card_and_thread(bot.slack, req.card_ts or "")
    assert ActionId.RETRY.value in action_ids(replies[-1])
    assert [t.state for t in req.targets] == [TargetStatus.DONE] * 2 + [TargetStatus.STUCK]
    assert not any("Available" in t and "3 of 3" in t for t in texts)


def test_a_long_list_is_cut_on_the_card_and_given_whole_in_the_thread(
    make_bot: StackFactory,
) -> None:
    bot = make_bot(make_world(30))
    rid = submit_several(bot.runtime.sessions, bot.runtime.policy, range(30), approve=False)
    bot.start_workers()
    bot.ring()
    sessions = bot.runtime.sessions
    wait_until(lambda: request(sessions, rid).card_ts is not None and unsent(sessions) == 0)
    texts = _thread(bot, rid)
    assert len(texts) == 1 and all(eni_id(n) in texts[0] for n in range(30))
    req = request(sessions, rid)
    card, _ = card_and_thread(bot.slack, req.card_ts or "")
    shown = block_text(card)
    assert eni_id(19) in shown and eni_id(20) not in shown and "and 10 more" in shown
    assert ActionId.APPROVE.value in action_ids(card)
