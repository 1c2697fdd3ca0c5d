"""Undo through real HTTP: the `reattach_request` button and `/eni reattach` make one attach
request putting back what a detach request detached, each ENI on its own instance.

CONTRACT.md "Attach and re-attach (0.2)", Undo: its requester or an approver may ask, anyone
else is refused; the new card names the old request and the old thread names the new one; the
clicker is the new requester (so cannot approve it); an ENI no longer Available, or in an open
request, is named in the refusal and nothing is created. The real workers run the detach and
the attach against the ECS simulator (tests/slack/attach_harness.py's world).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from attach_harness import (
    FREE,
    REGION,
    SEC_A,
    SEC_B,
    SEC_C,
    WEB_A,
    WEB_B,
    WEB_C,
    attach_stack,
)

from bot.sim.slack.records import Message
from bot.slack.blocks import kit
from bot.slack.ids import ActionId

from support.stack import APPROVER, CHANNEL, GROUP_APPROVER, OUTSIDER, REQUESTER, Stack
from support.waiting import wait_until

REATTACH = ActionId.REATTACH.value


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """The surface on the attach world, with workers."""
    with attach_stack(tmp_path, "undo.db") as made:
        made.start_workers()
        yield made


def _detached(stack: Stack, text: str) -> tuple[int, Message]:
    """Detach what `text` names, approved and finished; the request and its finishing reply."""
    before = set(stack.request_ids())
    post = stack.run(text)
    assert "waiting for approval" in post.text, post.text
    (rid,) = set(stack.request_ids()) - before
    stack.approve(rid)
    stack.wait_status(rid, "detached")
    finishing = stack.thread(rid)[-1]
    assert REATTACH in str(finishing.blocks), finishing.blocks
    return rid, finishing


def _click(stack: Stack, message: Message, user: str) -> str:
    """Click Re-attach on `message` as `user`; what the clicker was told (ephemeral)."""
    response = stack.click(message, REATTACH, user)
    assert response.status_code == 200
    post = stack.wait_response()
    assert post.response_type == "ephemeral"
    return post.text + str(post.blocks)


def test_an_undo_of_a_three_eni_detach_puts_each_eni_back_on_its_own_instance(
    stack: Stack,
) -> None:
    old, finishing = _detached(stack, f"detach {SEC_A} {SEC_B} {SEC_C} free all three")
    assert {stack.ecs.world.network_interface(e).status for e in (SEC_A, SEC_B, SEC_C)} == {
        "Available"
    }

    said = _click(stack, finishing, OUTSIDER)
    assert f"Only the requester of *#{old}* or an approver can undo it" in said
    assert stack.request_ids() == [old]

    # An approver who did not ask for the detach may undo it (its requester may too: below).
    said = _click(stack, finishing, APPROVER)
    (new,) = set(stack.request_ids()) - {old}
    assert f"Request *#{new}* undoes *#{old}*" in said and "waiting for approval" in said
    request = stack.request(new)
    assert (request.operation, request.undo_of, request.requester_id) == ("attach", old, APPROVER)
    assert request.channel_id == CHANNEL
    assert [(t.eni_id, t.instance_id) for t in request.targets] == [
        (SEC_A, WEB_A),
        (SEC_B, WEB_B),
        (SEC_C, WEB_C),
    ]
    # The two cards name each other: the new card the old request, the old thread the new one.
    card = stack.card(new)
    assert f"Undoes request *#{old}*" in str(card.blocks)
    assert card.channel == CHANNEL
    naming = wait_until(
        lambda: [m for m in stack.thread(old) if f"*#{new}*" in m.text + str(m.blocks)]
    )
    assert f"<@{APPROVER}>" in naming[0].text + str(naming[0].blocks)

    # A second undo while the first is open: the one-open-request-per-ENI rule names it.
    said = _click(stack, finishing, REQUESTER)
    assert f"3 of the 3 ENIs request *#{old}* detached cannot be attached" in said
    assert f"*#{new}*" in said and "Nothing was stored" in said
    post = stack.run(f"reattach {old}", GROUP_APPROVER)
    assert f"*#{new}*" in str(post.blocks)
    assert sorted(stack.request_ids()) == [old, new]

    # The clicker asked for it, so someone else approves it.
    response = stack.click(stack.card(new), ActionId.APPROVE.value, APPROVER)
    assert response.status_code == 200
    assert "own request" in str(stack.wait_response().blocks)
    stack.approve(new, GROUP_APPROVER)
    stack.wait_status(new, "attached", timeout=30)
    for eni, instance in ((SEC_A, WEB_A), (SEC_B, WEB_B), (SEC_C, WEB_C)):
        found = stack.ecs.world.network_interface(eni)
        assert found is not None
        assert (found.status, found.instance_id) == ("InUse", instance)
        assert stack.ecs.calls.accepted_attaches(eni) == 1
    finished = stack.thread(new)[-1]
    assert REATTACH not in str(finished.blocks)  # an attach is not undone by a button


def test_reattach_by_command_names_an_eni_that_is_no_longer_available(stack: Stack) -> None:
    old, _ = _detached(stack, f"detach {SEC_A} {SEC_B} free two")
    stack.ecs.world.attach(REGION, SEC_B, WEB_A)  # someone attached it elsewhere meanwhile
    post = stack.run(f"reattach {old}")
    said = post.text + str(post.blocks)
    assert f"1 of the 2 ENIs request *#{old}* detached cannot be attached" in said
    assert f"`{SEC_B}` is `Attaching`" in said or f"`{SEC_B}` is `InUse`" in said
    assert f"`{SEC_A}`" not in said.split("cannot be attached", 1)[1]
    assert "Nothing was stored" in said and stack.request_ids() == [old]

    wait_until(lambda: stack.ecs.world.network_interface(SEC_B).status == "InUse")
    stack.ecs.world.update_network_interface(SEC_B, {"status": "Available"})
    post = stack.run(f"reattach #{old}")
    (new,) = set(stack.request_ids()) - {old}
    assert f"Request *#{new}* undoes *#{old}*" in post.text + str(post.blocks)
    request = stack.request(new)
    assert [(t.eni_id, t.instance_id) for t in request.targets] == [(SEC_A, WEB_A), (SEC_B, WEB_B)]
    # The old request's history records the undo.
    history = str(stack.run(f"status {old}").blocks)
    assert f"Undo asked by <@{REQUESTER}>: request #{new}" in history


def test_only_a_finished_detach_with_an_eni_detached_can_be_undone(stack: Stack) -> None:
    assert "There is no request *#999*" in str(stack.run("reattach 999").blocks)
    pending = stack.run(f"detach {SEC_A} not yet")
    assert "waiting for approval" in pending.text
    (rid,) = stack.request_ids()
    said = str(stack.run(f"reattach {rid}").blocks)
    assert "only a detach request that finished" in said and "Nothing was stored" in said
    attach = stack.run(f"attach {FREE} {WEB_A} spare")
    assert "waiting for approval" in attach.text
    said = str(stack.run(f"reattach {rid + 1}").blocks)
    assert "only a detach request can be undone" in said
    assert len(stack.request_ids()) == 2
    bad = stack.command("reattach soon")  # answered in the ack: nothing to look up
    assert "`soon` is not a request ID" in str(bad.json()["blocks"])
    assert "/eni reattach &lt;request-id&gt;" in str(bad.json()["blocks"])


@pytest.mark.parametrize(
    ("value", "words"),
    [("not-a-number", "does not name a request"), ("999", "There is no request *#999*")],
)
def test_a_reattach_button_naming_no_request_is_answered_and_changes_nothing(
    stack: Stack, value: str, words: str
) -> None:
    # An old or altered message: the value on the button is all the click carries.
    button = kit.button("Re-attach (undo)", REATTACH, value)
    posted = stack.runtime.slack.chat_postMessage(
        channel=CHANNEL, text="altered", blocks=[kit.actions("reattach:x", button)]
    )
    message = stack.slack.message(CHANNEL, str(posted["ts"]))
    assert message is not None
    assert words in _click(stack, message, REQUESTER)
    assert stack.request_ids() == []
