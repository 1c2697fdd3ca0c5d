"""Every seed error code, returned by ECS at execution, as the people in the thread see it.

One bot, one ENI per code: the simulator forces that code on the ENI's first Detach. Busy-state
codes are retried and the ENI ends up detached; every other code fails the request, and its
thread reply names the code, the ECS request ID and the catalogue's plain words.
"""

from __future__ import annotations

from bot.ecs.catalogue import Reaction, lookup
from bot.sim.ecs import SEED_CODES, FaultSpec
from bot.slack.blocks.text import escape

from support.stack import StackFactory
from support.waiting import wait_until
from support.workers_env import (
    block_text,
    card_and_thread,
    eni_id,
    make_world,
    request,
    submit_and_approve,
    unsent,
)

CODES = sorted(SEED_CODES)


def test_every_seed_code_reaches_the_thread_in_plain_words(make_bot: StackFactory) -> None:
    bot = make_bot(make_world(len(CODES)), incident_channel=None)
    for n, code in enumerate(CODES):
        bot.ecs.faults.add(
            FaultSpec(kind="error", action="DetachNetworkInterface", eni_id=eni_id(n), code=code)
        )
    ids = submit_and_approve(bot.runtime.sessions, bot.runtime.policy, range(len(CODES)))
    bot.start_workers()
    bot.ring()
    sessions = bot.runtime.sessions
    final = {"detached", "failed"}
    wait_until(lambda: all(request(sessions, rid).status in final for rid in ids), timeout=60)
    wait_until(lambda: unsent(sessions) == 0, timeout=30)

    seen_wrong: list[str] = []
    for rid, code in zip(ids, CODES, strict=True):
        entry = lookup(code)
        req = request(sessions, rid)
        _, replies = card_and_thread(bot.slack, req.card_ts or "")
        last = block_text(replies[-1])
        if entry.reaction is Reaction.RETRY_LATER:
            if req.status != "detached":
                seen_wrong.append(f"{code}: busy code should be retried, got {req.status}")
            continue
        problems = [
            what
            for what, ok in [
                ("status failed", req.status == "failed"),
                ("stored code", req.target.error_code == code),
                ("code in reply", code in last),
                ("ECS request ID in reply", (req.target.ecs_request_id or "?") in last),
                ("plain-words meaning in reply", escape(entry.meaning) in last),
                ("remedy in reply", escape(entry.remedy) in last),
            ]
            if not ok
        ]
        if problems:
            seen_wrong.append(f"{code}: missing {', '.join(problems)}; reply was {last!r}")
    assert not seen_wrong, "\n".join(seen_wrong)
