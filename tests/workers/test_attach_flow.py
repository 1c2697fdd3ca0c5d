"""Attach requests through the real workers, ECS simulator and Slack stand-in.

CONTRACT "Attach and re-attach": the Attach is sent at most once per ENI; the thread says
"Attaching", then "Attached" when the ENI is InUse on that instance; an ENI that goes back to
Available has failed ("ECS did not attach it"); still Attaching after ENIBOT_STUCK_AFTER is
stuck, with what to do and `retry_request`; every AttachNetworkInterface error code reaches
the thread in plain words, with its code and ECS request ID.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.ecs.catalogue import ATTACH_CODES, Reaction, lookup
from bot.requests import decisions, schemas
from bot.requests.schemas import NewRequest, NewTarget
from bot.sim.ecs.faults import FaultSpec
from bot.slack.blocks.text import escape
from bot.slack.ids import ActionId

from support.stack import CHANNEL, REQUESTER, Stack, StackFactory
from support.waiting import wait_until
from support.workers_env import (
    REGION,
    action_ids,
    approve_all,
    block_text,
    card_and_thread,
    eni_id,
    instance_id,
    make_world,
    request,
    unsent,
)

ATTACH = "AttachNetworkInterface"


def submit_attach(
    sessions: sessionmaker[Session], policy: schemas.Policy, numbers: Sequence[int]
) -> int:
    """One approved attach request: each numbered (Available) ENI to its test instance."""
    with db.transaction(sessions) as s:
        request_ = decisions.submit(
            s,
            new=NewRequest(
                region=REGION,
                requester_id=REQUESTER,
                channel_id=CHANNEL,
                reason="put the NICs back",
                operation="attach",
                targets=tuple(
                    NewTarget(eni_id=eni_id(n), instance_id=instance_id(n)) for n in numbers
                ),
            ),
            policy=policy,
            now=db.utcnow(),
        )
    approve_all(sessions, policy, [request_.id])
    return request_.id


def _finished(bot: Stack, rid: int, *statuses: str, timeout: float = 30) -> list[str]:
    sessions = bot.runtime.sessions
    wait_until(lambda: request(sessions, rid).status in statuses, timeout)
    wait_until(lambda: unsent(sessions) == 0, timeout)
    req = request(sessions, rid)
    _, replies = card_and_thread(bot.slack, req.card_ts or "")
    return [block_text(m) for m in replies]


def test_an_attach_goes_through_attaching_to_attached_with_one_call(
    make_bot: StackFactory,
) -> None:
    bot = make_bot(make_world(4, available=[2]))
    rid = submit_attach(bot.runtime.sessions, bot.runtime.policy, [2])
    bot.start_workers()
    bot.ring()
    texts = _finished(bot, rid, "attached")
    assert len(texts) == 3, texts
    assert "Approved by" in texts[0] and "The attach starts now" in texts[0]
    assert "Attach sent" in texts[1] and "Attaching" in texts[1]
    assert "Attached" in texts[2] and instance_id(2) in texts[2]
    eni = bot.ecs.world.network_interface(eni_id(2))
    assert eni is not None and eni.status == "InUse" and eni.instance_id == instance_id(2)
    assert bot.ecs.calls.accepted_attaches(eni_id(2)) == 1
    req = request(bot.runtime.sessions, rid)
    card, _ = card_and_thread(bot.slack, req.card_ts or "")
    shown = block_text(card)
    assert "attach request" in shown and "Attached" in shown and action_ids(card) == []


def test_an_attach_that_falls_back_to_available_has_failed(make_bot: StackFactory) -> None:
    bot = make_bot(make_world(2, available=[1]))
    bot.ecs.world.update_network_interface(eni_id(1), {"fail_attaches": 1})
    rid = submit_attach(bot.runtime.sessions, bot.runtime.policy, [1])
    bot.start_workers()
    bot.ring()
    texts = _finished(bot, rid, "failed")
    assert "AttachFellBack" in texts[-1] and "ECS did not attach it" in texts[-1]
    assert bot.ecs.calls.accepted_attaches(eni_id(1)) == 1  # never sent twice


def test_an_attach_still_attaching_past_the_limit_is_stuck_with_what_to_do(
    make_bot: StackFactory,
) -> None:
    bot = make_bot(make_world(2, available=[0], attach_delay=30.0), stuck_after=1.0)
    rid = submit_attach(bot.runtime.sessions, bot.runtime.policy, [0])
    bot.start_workers()
    bot.ring()
    texts = _finished(bot, rid, "stuck")
    assert "Stuck" in texts[-1] and "Attaching" in texts[-1]
    assert "restart the instance" in texts[-1] and "completes or fails the attach" in texts[-1]
    req = request(bot.runtime.sessions, rid)
    _, replies = card_and_thread(bot.slack, req.card_ts or "")
    assert ActionId.RETRY.value in action_ids(replies[-1])


CODES = sorted(ATTACH_CODES)


@pytest.mark.parametrize("code", CODES)
def test_every_attach_error_code_reaches_the_thread_in_plain_words(
    make_bot: StackFactory, code: str
) -> None:
    bot = make_bot(make_world(1, available=[0]), incident_channel=None, stuck_after=2.0)
    bot.ecs.faults.add(FaultSpec(kind="error", action=ATTACH, eni_id=eni_id(0), code=code))
    rid = submit_attach(bot.runtime.sessions, bot.runtime.policy, [0])
    bot.start_workers()
    bot.ring()
    entry = lookup(code, action=ATTACH)
    texts = _finished(bot, rid, "attached", "failed")
    req = request(bot.runtime.sessions, rid)
    if entry.reaction is Reaction.RETRY_LATER:
        # Busy: waited out and sent again; the ENI ends attached, attached once.
        assert req.status == "attached", texts
        assert bot.ecs.calls.accepted_attaches(eni_id(0)) == 1
        return
    last = texts[-1]
    assert req.status == "failed" and req.target.error_code == code
    assert code in last and escape(entry.meaning) in last and escape(entry.remedy) in last
    assert (req.target.ecs_request_id or "?") in last
    assert bot.ecs.calls.accepted_attaches(eni_id(0)) == 0
