"""The ECS endpoint unreachable for a while: requests wait, then resume; each thread says so once.

Request A is Detaching (the poller is watching it) and request B has just been approved (the
executor is about to Describe and detach it) when the simulator stops listening. Every call is
refused while both workers keep trying; once each thread has had its "ECS is not answering"
reply and each worker has tried again after it, the simulator comes back on the same port.
Both requests end detached, with one Detach each, and each thread got exactly one such reply
however many calls failed.
"""

from __future__ import annotations

from pathlib import Path

from fault_stack import CountingTransport, restart_on_same_port, running_bot

from support.stack import Stack
from support.waiting import wait_until
from support.workers_env import eni_id, make_world

TROUBLE = "not answering"
# Failed ECS requests about an ENI after its thread was told, before ECS comes back: two
# worker attempts at least (the client tries each call twice, see fault_stack.QUICK_RETRY).
RETRIES_AFTER_THE_NOTE = 4


def _trouble_replies(bot: Stack, rid: int) -> int:
    return sum(TROUBLE in m.text for m in bot.thread(rid))


def test_unreachable_ecs_makes_requests_wait_and_resume_with_one_note_each(
    tmp_path: Path,
) -> None:
    world, transport = make_world(2, detach_delay=1.5), CountingTransport()
    with running_bot(f"sqlite:///{tmp_path / 'ecs.db'}", world, transport=transport) as bot:
        watched = bot.request_detach(eni_id(0), "moving NIC 0")
        waiting = bot.request_detach(eni_id(1), "moving NIC 1")
        bot.card(waiting)
        bot.approve(watched)
        wait_until(lambda: bot.request(watched).status == "detaching", timeout=10)

        port = int(bot.ecs.url.rsplit(":", 1)[1])
        bot.ecs.stop()
        bot.approve(waiting)  # approving needs no ECS; executing does
        # The poller (about A) and the executor (about B) each hit the outage and said so...
        wait_until(
            lambda: _trouble_replies(bot, watched) >= 1 and _trouble_replies(bot, waiting) >= 1,
            timeout=20,
        )
        told = {n: transport.failures_about(eni_id(n)) for n in (0, 1)}
        assert min(told.values()) >= 1, told
        # ...and each goes on trying after saying so.
        wait_until(
            lambda: all(
                transport.failures_about(eni_id(n)) >= told[n] + RETRIES_AFTER_THE_NOTE
                for n in (0, 1)
            ),
            timeout=20,
        )
        assert bot.request(watched).status == "detaching"
        assert bot.request(waiting).status in ("approved", "executing")
        wait_until(lambda: bot.undelivered() == 0, timeout=10)
        assert (_trouble_replies(bot, watched), _trouble_replies(bot, waiting)) == (1, 1)
        restart_on_same_port(bot.ecs, port)

        wait_until(
            lambda: {bot.request(watched).status, bot.request(waiting).status} == {"detached"},
            timeout=20,
        )
        wait_until(lambda: bot.undelivered() == 0, timeout=10)

        # However many calls failed, one note per thread; one Detach each; Available last.
        assert _trouble_replies(bot, watched) == 1
        assert _trouble_replies(bot, waiting) == 1
        for n in (0, 1):
            assert bot.ecs.calls.accepted_detaches(eni_id(n)) == 1
        for rid in (watched, waiting):
            texts = [m.text for m in bot.thread(rid)]
            assert "Available" in texts[-1], texts
