"""The approval card: what CONTRACT.md says it shows, buttons only while pending, Slack's limits."""

from __future__ import annotations

import pytest
from block_inputs import (
    APPROVER,
    ENI,
    INSTANCE,
    OTHER,
    REGION,
    REQUESTER,
    everything,
    limit_problems,
    request,
)

from bot.requests.states import Status
from bot.slack.blocks import words
from bot.slack.blocks.card import Decider, approval_card
from bot.slack.ids import ActionId


def _buttons(blocks: list[dict[str, object]]) -> list[dict[str, object]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]  # type: ignore[attr-defined]


def test_the_card_shows_what_is_asked_and_who_asked() -> None:
    shown = approval_card(
        request(eni_snapshot={"name": "app-net", "private_ip": "10.0.0.5", "tags": {"env": "prod"}})
    )
    said = everything(shown)
    for fact in (ENI, INSTANCE, REGION, f"<@{REQUESTER}>", "moving the app network"):
        assert fact in said
    for detail in ("app-net", "10.0.0.5", "env=prod"):
        assert detail in said
    assert shown.text == f"ENI detach request #7: detach {ENI} from {INSTANCE} (Pending approval)"


@pytest.mark.parametrize("status", list(Status))
def test_approve_and_reject_carry_the_request_id_only_while_pending(status: Status) -> None:
    buttons = _buttons(approval_card(request(status, id=42)).blocks)
    if status is Status.PENDING:
        assert [(b["action_id"], b["value"]) for b in buttons] == [
            (ActionId.APPROVE.value, "42"),
            (ActionId.REJECT.value, "42"),
        ]
    else:
        assert buttons == []


@pytest.mark.parametrize("status", list(Status))
def test_the_card_names_the_state_as_every_surface_does(status: Status) -> None:
    said = everything(approval_card(request(status)))
    assert f"{words.emoji(status)} *Status:* {words.label(status)}" in said


def test_deciders_are_listed_and_the_quorum_counted() -> None:
    deciders = [Decider(APPROVER, "approve"), Decider(OTHER, "reject")]
    said = everything(approval_card(request(approvals_needed=2), deciders))
    assert "(1 of 2 approvals)" in said
    assert f"Approved by <@{APPROVER}>" in said
    assert f"Rejected by <@{OTHER}>" in said


@pytest.mark.parametrize("code", sorted(words.OWN_FAILURES))
def test_a_failure_the_bot_assigned_is_not_blamed_on_alibaba_cloud(code: str) -> None:
    # The card used the ECS catalogue for every code: the bot's own "WorldChanged" read
    # "Alibaba Cloud refused the request", while its thread reply said what really happened.
    said = everything(approval_card(request(Status.FAILED, error_code=code)))
    assert words.OWN_FAILURES[code] in said
    assert "Alibaba Cloud refused" not in said


def test_an_ecs_failure_is_explained_from_the_catalogue() -> None:
    said = everything(approval_card(request(Status.FAILED, error_code="InvalidOperation.Conflict")))
    assert "Another change to the same network interface or server is still running." in said


def test_a_card_with_everything_at_its_largest_stays_within_slacks_limits() -> None:
    huge = "&<>*" * 2000
    snapshot = {
        "name": huge,
        "description": huge,
        "private_ip": huge,
        "vpc_id": huge,
        "vswitch_id": huge,
        "security_group_ids": [huge] * 50,
        "tags": {f"{huge}{i}": huge for i in range(500)},
        "status": huge,
    }
    deciders = [Decider(f"U{i:010d}", "approve" if i % 2 else "reject") for i in range(1000)]
    for status in Status:
        shown = approval_card(
            request(
                status,
                reason=huge,
                eni_snapshot=snapshot,
                ecs_request_id=huge,
                error_code="InvalidOperation.Conflict",
            ),
            deciders,
        )
        assert limit_problems(shown.blocks) == [], status
        assert len(shown.text) <= 300
