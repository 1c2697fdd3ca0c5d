"""`/eni status`: the request now, decisions as they stand, a history that fits in one message."""

from __future__ import annotations

from block_inputs import APPROVER, CHANNEL, ENI, OTHER, event, everything, limit_problems, request

from bot.requests.states import Status
from bot.slack.blocks.status import (
    MAX_AUDIT_LINES,
    no_request,
    no_request_for_eni,
    status_message,
)


def test_the_head_says_what_where_who_and_why() -> None:
    shown = status_message(request(Status.APPROVED), [], approvers=[APPROVER], rejecters=[OTHER])
    said = everything(shown)
    assert said.startswith("*Request #7* — Approved\n")
    assert f"`{ENI}`" in said and f"<#{CHANNEL}>" in said
    assert f"Approved by <@{APPROVER}>." in said and f"Rejected by <@{OTHER}>." in said
    assert "_no events recorded_" in said
    assert shown.text == "Request #7: Approved"


def test_a_pending_request_says_when_it_expires_and_a_failed_one_its_error() -> None:
    assert "Expires <!date^" in everything(status_message(request(), []))
    failed = request(Status.FAILED, error_code="Throttling", error_message="slow <down>")
    assert "Error `Throttling`: slow &lt;down&gt;" in everything(status_message(failed, []))


def test_a_long_history_keeps_its_first_and_last_lines_and_fits() -> None:
    history = [
        event("ecs_call", None, {"action": "DescribeNetworkInterfaces", "code": str(n)})
        for n in range(500)
    ]
    shown = status_message(request(reason="x" * 500), history)
    assert limit_problems(shown.blocks) == []
    said = everything(shown)
    half = MAX_AUDIT_LINES // 2
    assert f"… {500 - MAX_AUDIT_LINES} more …" in said
    kept = [n for n in range(500) if f"→ `{n}`" in said]
    assert kept == [*range(half), *range(500 - half, 500)]


def test_status_of_nothing_says_so_and_where_to_look() -> None:
    said = everything(no_request(4))
    assert said.startswith(":grey_question: There is no request #4.")
    assert "`/eni list`" in said
    assert f"No request was ever made for `{ENI}`." in everything(no_request_for_eni(ENI))
