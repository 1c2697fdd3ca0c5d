"""Approve/reject/retry clicks on the real card, authorised at click time, through real HTTP."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from slack_harness import (
    APPROVER,
    APPROVER_GROUP,
    CHANNEL,
    GROUP_APPROVER,
    OUTSIDER,
    REQUESTER,
    Harness,
    HarnessFactory,
    submit_request,
)
from sqlalchemy import select, update

from bot import db
from bot.requests import repository
from bot.requests.models import Approval, DetachRequest, RequestEvent
from bot.requests.states import Status
from bot.sim.slack.records import Message, ResponsePost
from bot.sim.slack.render import render_blocks
from bot.sim.slack.sender import Delivery
from bot.slack.ids import ActionId

from support.stack import FAST
from support.waiting import wait_until


def click(
    harness: Harness,
    card: Message,
    action: ActionId,
    user: str,
    delivery: Delivery | None = None,
) -> ResponsePost:
    """Click a card button and wait for the clicker's ephemeral answer."""
    response = harness.sender.click(
        card, action.value, user_id=user, delivery=delivery or Delivery()
    )
    assert response.status_code == 200
    assert harness.sender.last is not None and harness.sender.last.response_url
    return harness.wait_response(harness.sender.last.response_url)


def status_of(harness: Harness, rid: int) -> Status:
    with db.transaction(harness.runtime.sessions) as session:
        request = repository.get(session, rid)
        assert request is not None
        return request.state


@pytest.fixture
def pending(harness: Harness) -> tuple[int, Message]:
    rid = submit_request(harness)
    return rid, harness.post_card(rid)


def test_approver_approves_and_the_executor_is_woken(
    harness: Harness, pending: tuple[int, Message]
) -> None:
    rid, card = pending
    answer = click(harness, card, ActionId.APPROVE, APPROVER)
    assert answer.response_type == "ephemeral"
    assert "approved" in answer.text
    assert status_of(harness, rid) is Status.APPROVED
    assert harness.runtime.doorbells.executor.is_set()
    kinds = [row.kind for row in harness.outbox()]
    assert kinds.count("card_update") == 1 and kinds.count("thread_reply") == 1


def test_approver_rejects(harness: Harness, pending: tuple[int, Message]) -> None:
    rid, card = pending
    assert "rejected" in click(harness, card, ActionId.REJECT, APPROVER).text
    assert status_of(harness, rid) is Status.REJECTED


@pytest.mark.parametrize("action", [ActionId.APPROVE, ActionId.REJECT])
def test_non_approver_is_refused_and_nothing_changes(
    harness: Harness, pending: tuple[int, Message], action: ActionId
) -> None:
    rid, card = pending
    rows_before = len(harness.outbox())
    answer = click(harness, card, action, OUTSIDER)
    assert "Only approvers" in answer.text
    assert status_of(harness, rid) is Status.PENDING
    assert len(harness.outbox()) == rows_before


def test_requester_cannot_approve_own_request(make_harness: HarnessFactory) -> None:
    harness = make_harness()
    rid = submit_request(harness, user=APPROVER)
    card = harness.post_card(rid)
    answer = click(harness, card, ActionId.APPROVE, APPROVER)
    assert "cannot approve your own request" in answer.text
    assert status_of(harness, rid) is Status.PENDING


def test_user_group_member_may_approve(harness: Harness, pending: tuple[int, Message]) -> None:
    rid, card = pending
    assert "approved" in click(harness, card, ActionId.APPROVE, GROUP_APPROVER).text
    assert status_of(harness, rid) is Status.APPROVED
    (call,) = harness.slack.calls("usergroups.users.list")
    assert call.params["usergroup"] == APPROVER_GROUP


@pytest.mark.parametrize("error", ["plan_upgrade_required", "missing_scope"])
def test_without_user_groups_the_id_list_still_works(
    harness: Harness, pending: tuple[int, Message], error: str, caplog: pytest.LogCaptureFixture
) -> None:
    rid, card = pending
    harness.slack.set_usergroups_error(error)
    assert "Only approvers" in click(harness, card, ActionId.APPROVE, GROUP_APPROVER).text
    assert "Only approvers" in click(harness, card, ActionId.REJECT, GROUP_APPROVER).text
    assert status_of(harness, rid) is Status.PENDING
    warnings = [r for r in caplog.records if "user groups unavailable" in r.getMessage()]
    assert len(warnings) == 1  # logged once, not per click
    assert "approved" in click(harness, card, ActionId.APPROVE, APPROVER).text


def test_already_decided_is_refused_politely(
    harness: Harness, pending: tuple[int, Message]
) -> None:
    rid, card = pending
    click(harness, card, ActionId.REJECT, APPROVER)
    answer = click(harness, card, ActionId.APPROVE, GROUP_APPROVER)
    assert "no longer waiting for a decision" in answer.text
    assert "Rejected" in answer.text
    assert status_of(harness, rid) is Status.REJECTED


def test_expired_request_is_refused_and_expires(
    harness: Harness, pending: tuple[int, Message]
) -> None:
    rid, card = pending
    past = harness.runtime.clock() - timedelta(seconds=1)
    with db.transaction(harness.runtime.sessions) as session:
        session.execute(
            update(DetachRequest).where(DetachRequest.id == rid).values(expires_at=past)
        )
    answer = click(harness, card, ActionId.APPROVE, APPROVER)
    assert "expired" in answer.text
    assert status_of(harness, rid) is Status.EXPIRED
    again = click(harness, card, ActionId.APPROVE, GROUP_APPROVER)
    assert "expired" in again.text


def test_unknown_request_is_answered_200_with_an_explanation(harness: Harness) -> None:
    card = {
        "type": "message",
        "ts": "1700000000.000100",
        "text": "card",
        "blocks": [
            {
                "type": "actions",
                "block_id": "b",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "approve_request",
                        "value": "999",
                        "text": {"type": "plain_text", "text": "Approve"},
                    }
                ],
            }
        ],
    }
    response = harness.sender.click(card, "approve_request", user_id=APPROVER)
    assert response.status_code == 200
    assert "no request #999" in harness.wait_response(harness.last_response_url()).text.lower()


def test_concurrent_double_clicks_approve_once(make_harness: HarnessFactory) -> None:
    harness = make_harness()
    rid = submit_request(harness)
    card = harness.post_card(rid)
    answered_before = len(harness.slack.responses())
    barrier = threading.Barrier(4)
    codes: list[int] = []

    def press(user: str) -> None:
        barrier.wait()
        codes.append(harness.sender.click(card, "approve_request", user_id=user).status_code)

    threads = [
        threading.Thread(target=press, args=(user,))
        for user in (APPROVER, APPROVER, GROUP_APPROVER, GROUP_APPROVER)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 4
    harness.slack.wait_for(lambda s: len(s.responses()) >= answered_before + 4 or None)
    texts = [r.text for r in harness.slack.responses()[answered_before:]]
    assert len(texts) == 4
    assert sum("approved; the detach starts now" in t for t in texts) == 1
    assert status_of(harness, rid) is Status.APPROVED
    with db.transaction(harness.runtime.sessions) as session:
        moves = session.scalars(
            select(RequestEvent).where(
                RequestEvent.request_id == rid, RequestEvent.to_status == "approved"
            )
        ).all()
        assert len(moves) == 1
        approvals = session.scalars(select(Approval).where(Approval.request_id == rid)).all()
        assert len(approvals) == 1


def test_quorum_counts_distinct_approvers(make_harness: HarnessFactory) -> None:
    harness = make_harness(required_approvals=2)
    rid = submit_request(harness)
    card = harness.post_card(rid)
    assert "1 of 2" in click(harness, card, ActionId.APPROVE, APPROVER).text
    assert "already decided" in click(harness, card, ActionId.APPROVE, APPROVER).text
    assert status_of(harness, rid) is Status.PENDING
    assert "approved" in click(harness, card, ActionId.APPROVE, GROUP_APPROVER).text
    assert status_of(harness, rid) is Status.APPROVED


def test_retried_click_delivery_decides_once(
    harness: Harness, pending: tuple[int, Message]
) -> None:
    rid, card = pending
    click(harness, card, ActionId.APPROVE, APPROVER)
    answer = click(harness, card, ActionId.APPROVE, APPROVER, Delivery(retry_num=1))
    assert "no longer waiting" in answer.text
    with db.transaction(harness.runtime.sessions) as session:
        assert len(repository.approvals(session, rid)) == 1


def test_retry_button_is_for_approvers(harness: Harness, pending: tuple[int, Message]) -> None:
    rid, _ = pending
    with db.transaction(harness.runtime.sessions) as session:
        session.execute(update(DetachRequest).where(DetachRequest.id == rid).values(status="stuck"))
    stuck_message = {
        "type": "message",
        "ts": "1700000000.000300",
        "text": "stuck",
        "blocks": [
            {
                "type": "actions",
                "block_id": "retry",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "retry_request",
                        "value": str(rid),
                        "text": {"type": "plain_text", "text": "Retry"},
                    }
                ],
            }
        ],
    }
    harness.sender.click(stuck_message, "retry_request", user_id=REQUESTER)
    assert "Only approvers" in harness.wait_response(harness.last_response_url()).text
    assert status_of(harness, rid) is Status.STUCK
    harness.sender.click(stuck_message, "retry_request", user_id=APPROVER)
    assert "re-initiated" in harness.wait_response(harness.last_response_url()).text
    assert status_of(harness, rid) is Status.EXECUTING


def _shown(message: Message) -> str:
    """What a reader sees of a posted message (its blocks rendered, Slack markup kept)."""
    return "\n".join(render_blocks(message.blocks))


def test_approve_then_reject_by_one_approver_is_told_as_a_rejection_everywhere(
    make_harness: HarnessFactory,
) -> None:
    # Three approvals needed: GROUP_APPROVER approves, APPROVER approves, then APPROVER rejects.
    # Each approver has one decision on a request, the latest: APPROVER's is the rejection.
    harness = make_harness(required_approvals=3)
    workers = harness.start_workers(FAST)
    try:
        rid = submit_request(harness)
        card_ts: str = wait_until(lambda: harness.requests()[-1].card_ts or "", timeout=10)
        card = harness.slack.message(CHANNEL, card_ts)
        assert card is not None
        assert "1 of 3" in click(harness, card, ActionId.APPROVE, GROUP_APPROVER).text
        assert "2 of 3" in click(harness, card, ActionId.APPROVE, APPROVER).text
        assert "rejected" in click(harness, card, ActionId.REJECT, APPROVER).text
        assert status_of(harness, rid) is Status.REJECTED
        wait_until(lambda: all(row.sent_at for row in harness.outbox()), timeout=10)
        status = harness.run(f"status {rid}").text + " ".join(
            str(b) for b in harness.wait_response().blocks
        )
    finally:
        workers.stop(10)

    final = harness.slack.message(CHANNEL, card_ts)
    assert final is not None
    shown = _shown(final)
    assert "Rejected" in shown
    assert f"Approved by @{GROUP_APPROVER}\n" in shown
    assert f"Rejected by @{APPROVER}" in shown
    # Not among the approvers (the policy line above the status names who may approve).
    assert f"@{APPROVER}" not in shown.split("*Status:*")[1].split("Rejected by")[0]
    last_reply = harness.slack.thread(CHANNEL, card_ts)[-1]
    assert f"Rejected by @{APPROVER}" in _shown(last_reply)
    assert "approved it earlier" in _shown(last_reply)
    # /eni status: the decisions now; the history keeps both clicks.
    assert f"Approved by <@{GROUP_APPROVER}>." in status
    assert f"Rejected by <@{APPROVER}>" in status
    assert f"Approved by <@{GROUP_APPROVER}>, <@{APPROVER}>" not in status
    assert f"Approval by <@{APPROVER}> (2 of 3)" in status
    with db.transaction(harness.runtime.sessions) as session:
        decisions = {a.approver_id: a.decision for a in repository.approvals(session, rid)}
    assert decisions == {GROUP_APPROVER: "approve", APPROVER: "reject"}
