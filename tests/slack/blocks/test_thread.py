"""Thread replies: what CONTRACT.md asks of the stuck and failed replies, and the notes between."""

from __future__ import annotations

import pytest
from block_inputs import APPROVER, ENI, INSTANCE, everything, limit_problems, request

from bot.ecs.errors import lookup
from bot.requests.states import Status
from bot.slack.blocks.thread import thread_reply
from bot.slack.ids import ActionId


def _reply(status: Status, detail: dict[str, object], **fields: object) -> tuple[str, list]:  # type: ignore[type-arg]
    shown = thread_reply(
        request(status, **fields), {"status": status.value, "actor": APPROVER, "detail": detail}
    )
    assert limit_problems(shown.blocks) == []
    return everything(shown), shown.blocks


def test_a_stuck_reply_says_what_to_do_and_carries_retry_with_the_request_id() -> None:
    said, blocks = _reply(Status.STUCK, {"stuck_for_seconds": 400}, id=42)
    assert "about 7 min" in said
    assert "re-initiate" in said and "restart the instance" in said and INSTANCE in said
    assert "`/eni retry 42`" in said
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [
        (ActionId.RETRY.value, "42")
    ]


@pytest.mark.parametrize("status", [s for s in Status if s not in (Status.STUCK, Status.DETACHED)])
def test_only_the_stuck_and_the_finished_detach_reply_have_a_button(status: Status) -> None:
    _, blocks = _reply(status, {})
    assert [b for b in blocks if b["type"] == "actions"] == []


def test_a_finished_detach_reply_carries_reattach_with_the_request_id() -> None:
    _, blocks = _reply(Status.DETACHED, {}, id=42)
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [
        (ActionId.REATTACH.value, "42")
    ]


def test_a_failed_reply_names_the_code_the_ecs_request_id_and_plain_words() -> None:
    detail = {"error_code": "Forbidden.RAM", "ecs_request_id": "REQ-9"}
    said, _ = _reply(Status.FAILED, {**detail, "error_message": "no <perm>"})
    entry = lookup("Forbidden.RAM")
    assert "`Forbidden.RAM`" in said and "`REQ-9`" in said
    assert entry.meaning in said and entry.remedy in said
    assert "Alibaba Cloud said: no &lt;perm&gt;" in said


def test_a_busy_code_that_outlasted_the_wait_does_not_promise_another_try() -> None:
    said, _ = _reply(Status.FAILED, {"error_code": "InvalidOperation.Conflict"})
    entry = lookup("InvalidOperation.Conflict")
    assert entry.meaning in said and entry.remedy not in said
    assert "ENIBOT_STUCK_AFTER" in said


def test_a_failed_reply_falls_back_to_the_requests_stored_error() -> None:
    said, _ = _reply(Status.FAILED, {}, error_code="OperationConflict", ecs_request_id="R-1")
    assert "`OperationConflict`" in said and "`R-1`" in said
    said, _ = _reply(Status.FAILED, {})
    assert "`Unknown`" in said and "no call accepted" in said


def test_the_reply_for_a_detach_confirmed_by_a_describe_says_so() -> None:
    said, _ = _reply(Status.DETACHING, {"ecs_request_id": "R-2", "reconciled": True})
    assert "`R-2`" in said and "checked the ENI before sending anything again" in said
    said, _ = _reply(Status.DETACHING, {"ecs_request_id": "R-2"})
    assert "watches the ENI" in said


def test_done_names_the_eni_and_the_instance() -> None:
    said, _ = _reply(Status.DETACHED, {})
    assert f"Available: `{ENI}` is detached from `{INSTANCE}`" in said


@pytest.mark.parametrize("status", list(Status))
def test_ecs_trouble_and_partial_approvals_win_over_the_status(status: Status) -> None:
    said, _ = _reply(status, {"ecs_trouble": True, "error_code": "Throttling"})
    assert said.startswith(":satellite_antenna:") and "`Throttling`" in said
    said, _ = _reply(status, {"partial": True, "approvals": 1, "needed": 2})
    assert said == f":ballot_box_with_check: Approval 1 of 2 by <@{APPROVER}>; waiting for 1 more."


def test_without_a_status_in_the_payload_the_requests_own_is_announced() -> None:
    shown = thread_reply(request(Status.CANCELLED), {"actor": APPROVER})
    assert "Cancelled by" in shown.text
