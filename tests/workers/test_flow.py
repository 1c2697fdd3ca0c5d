"""Approved requests through the real workers, ECS simulator and Slack stand-in (threads)."""

from __future__ import annotations

from bot.sim.ecs.faults import FaultSpec
from bot.slack.ids import ActionId

from support.stack import CHANNEL, INCIDENTS, Stack, StackFactory
from support.waiting import wait_until
from support.workers_env import (
    action_ids,
    block_text,
    card_and_thread,
    eni_id,
    make_world,
    request,
    submit_and_approve,
    unsent,
)


def _finished(bot: Stack, rid: int, status: str = "detached") -> None:
    sessions = bot.runtime.sessions
    wait_until(lambda: request(sessions, rid).status == status)
    wait_until(lambda: unsent(sessions) == 0)


def test_approved_request_is_detached_with_one_reply_per_state_and_a_final_card(
    make_bot: StackFactory,
) -> None:
    bot = make_bot()
    [rid] = submit_and_approve(bot.runtime.sessions, bot.runtime.policy, [3])
    bot.start_workers()
    bot.ring()
    _finished(bot, rid)

    req = request(bot.runtime.sessions, rid)
    assert req.card_ts is not None and req.target.ecs_request_id
    card, replies = card_and_thread(bot.slack, req.card_ts)
    texts = [block_text(m) for m in replies]
    assert len(texts) == 3, texts
    assert "Approved by <@U0APPROVER1>" in texts[0]
    assert "Detach sent" in texts[1] and "Detaching" in texts[1]
    assert req.target.ecs_request_id in texts[1]
    assert "Available" in texts[2]
    shown = block_text(card)
    assert eni_id(3) in shown and "rotate NIC 3" in shown and "app-3" in shown
    assert "Available" in shown and "Approved by <@U0APPROVER1>" in shown
    assert action_ids(card) == []  # decided: no buttons
    assert bot.ecs.calls.accepted_detaches(eni_id(3)) == 1
    [summary] = bot.slack.messages(INCIDENTS)
    assert f"#{rid}" in summary.text and eni_id(3) in block_text(summary)
    assert "Available" in block_text(summary)
    # one post per message: card + 3 replies + summary, nothing twice
    posts = [c for c in bot.slack.calls("chat.postMessage") if c.ok]
    assert len(posts) == 5


def test_pending_card_carries_approve_and_reject_buttons_with_the_request_id(
    make_bot: StackFactory,
) -> None:
    bot = make_bot()
    [rid] = submit_and_approve(bot.runtime.sessions, bot.runtime.policy, [1], approve=False)
    bot.start_workers()
    bot.ring()
    req = wait_until(lambda: (r := request(bot.runtime.sessions, rid)).card_ts and r)
    card = bot.slack.message(CHANNEL, req.card_ts)
    assert card is not None
    assert action_ids(card) == [ActionId.APPROVE, ActionId.REJECT]
    values = {e["value"] for b in card.blocks if b["type"] == "actions" for e in b["elements"]}
    assert values == {str(rid)}
    assert "Pending approval" in block_text(card)


def test_throttling_and_5xx_on_every_call_kind_are_retried_and_noted_once(
    make_bot: StackFactory,
) -> None:
    bot = make_bot()
    sim = bot.ecs
    for action in ("DescribeNetworkInterfaces", "DescribeInstances", "DetachNetworkInterface"):
        # More failures than the client's own attempts, so the workers must retry too.
        sim.faults.add(FaultSpec(kind="throttle", action=action, times=4))
        sim.faults.add(FaultSpec(kind="server_error", action=action, times=4))
    [rid] = submit_and_approve(bot.runtime.sessions, bot.runtime.policy, [5])
    bot.start_workers()
    bot.ring()
    _finished(bot, rid)
    assert sim.calls.accepted_detaches(eni_id(5)) == 1
    req = request(bot.runtime.sessions, rid)
    _, replies = card_and_thread(bot.slack, req.card_ts or "")
    notes = [m for m in replies if "not answering" in block_text(m)]
    assert len(notes) == 1
    assert "Available" in block_text(replies[-1])


def test_busy_eni_is_retried_until_it_can_be_detached(make_bot: StackFactory) -> None:
    bot = make_bot()
    bot.ecs.faults.add(
        FaultSpec(kind="error", action="DetachNetworkInterface", code="OperationConflict", times=2)
    )
    [rid] = submit_and_approve(bot.runtime.sessions, bot.runtime.policy, [2])
    bot.start_workers()
    bot.ring()
    _finished(bot, rid)
    assert bot.ecs.calls.count("DetachNetworkInterface", "OperationConflict") == 2
    assert bot.ecs.calls.accepted_detaches(eni_id(2)) == 1


def test_refusal_fails_with_code_meaning_and_ecs_request_id(make_bot: StackFactory) -> None:
    bot = make_bot()
    bot.ecs.faults.add(
        FaultSpec(kind="error", action="DetachNetworkInterface", code="Forbidden.RAM")
    )
    [rid] = submit_and_approve(bot.runtime.sessions, bot.runtime.policy, [4])
    bot.start_workers()
    bot.ring()
    _finished(bot, rid, "failed")
    req = request(bot.runtime.sessions, rid)
    assert req.target.error_code == "Forbidden.RAM" and req.target.ecs_request_id
    _, replies = card_and_thread(bot.slack, req.card_ts or "")
    text = block_text(replies[-1])
    assert "Failed" in text and "Forbidden.RAM" in text and req.target.ecs_request_id in text
    assert "What it means" in text and "What to do" in text
    [summary] = bot.slack.messages(INCIDENTS)
    assert "Forbidden.RAM" in block_text(summary)


def test_stuck_eni_is_reported_then_retry_detaches_it(make_bot: StackFactory) -> None:
    from bot import db
    from bot.requests import decisions, schemas

    bot = make_bot(make_world(10, stuck=[7]), stuck_after=0.6)
    [rid] = submit_and_approve(bot.runtime.sessions, bot.runtime.policy, [7])
    bot.start_workers()
    bot.ring()
    _finished(bot, rid, "stuck")
    req = request(bot.runtime.sessions, rid)
    _, replies = card_and_thread(bot.slack, req.card_ts or "")
    stuck = replies[-1]
    assert "Stuck" in block_text(stuck) and "restart the instance" in block_text(stuck)
    assert action_ids(stuck) == [ActionId.RETRY]

    with db.transaction(bot.runtime.sessions) as s:
        decision = decisions.retry(
            s, request_id=rid, actor_id="U0APPROVER1", policy=bot.runtime.policy, now=db.utcnow()
        )
    assert decision.outcome is schemas.Outcome.RETRYING
    bot.ring()
    _finished(bot, rid)
    # The re-sent Detach is what unsticks it: two accepted, by design.
    assert bot.ecs.calls.accepted_detaches(eni_id(7)) == 2
    _, replies = card_and_thread(bot.slack, req.card_ts or "")
    words = [block_text(m) for m in replies]
    assert "Retry requested" in words[-3] and "Detach sent" in words[-2]
    assert "Available" in words[-1]


def test_eni_attached_elsewhere_after_approval_fails_without_detaching(
    make_bot: StackFactory,
) -> None:
    bot = make_bot()
    [rid] = submit_and_approve(bot.runtime.sessions, bot.runtime.policy, [6])
    bot.ecs.world.update_network_interface(eni_id(6), {"instance_id": "i-test00001"})
    bot.start_workers()
    bot.ring()
    _finished(bot, rid, "failed")
    assert bot.ecs.calls.total("DetachNetworkInterface") == 0
    req = request(bot.runtime.sessions, rid)
    _, replies = card_and_thread(bot.slack, req.card_ts or "")
    text = block_text(replies[-1])
    assert "i-test00001" in text and "no longer attached" in text


def test_eni_deleted_while_detaching_fails_with_an_explanation(make_bot: StackFactory) -> None:
    world = make_world(10, detach_delay=60.0)
    bot = make_bot(world)
    [rid] = submit_and_approve(bot.runtime.sessions, bot.runtime.policy, [8])
    bot.start_workers()
    bot.ring()
    wait_until(lambda: request(bot.runtime.sessions, rid).status == "detaching")
    with world.locked():
        world._enis.pop(eni_id(8))  # the simulator has no delete call; someone deleted it
    _finished(bot, rid, "failed")
    req = request(bot.runtime.sessions, rid)
    _, replies = card_and_thread(bot.slack, req.card_ts or "")
    assert "no longer exists" in block_text(replies[-1])


def test_lost_detach_answer_is_resolved_by_describe_not_by_resending(
    make_bot: StackFactory,
) -> None:
    bot = make_bot()
    bot.ecs.faults.add(FaultSpec(kind="drop_connection", action="DetachNetworkInterface"))
    [rid] = submit_and_approve(bot.runtime.sessions, bot.runtime.policy, [9])
    bot.start_workers()
    bot.ring()
    _finished(bot, rid)
    assert bot.ecs.calls.total("DetachNetworkInterface") == 1
    assert bot.ecs.calls.accepted_detaches(eni_id(9)) == 1


def test_expired_request_loses_its_buttons(make_bot: StackFactory) -> None:
    bot = make_bot()
    policy = bot.runtime.policy
    from dataclasses import replace

    short = replace(policy, approval_ttl=0.2)
    [rid] = submit_and_approve(bot.runtime.sessions, short, [1], approve=False)
    bot.start_workers()
    bot.ring()
    _finished(bot, rid, "expired")
    req = request(bot.runtime.sessions, rid)
    card, replies = card_and_thread(bot.slack, req.card_ts or "")
    assert action_ids(card) == [] and "Expired" in block_text(card)
    assert "Expired" in block_text(replies[-1])
