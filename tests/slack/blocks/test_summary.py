"""The incident channel: each finished request names its ID, ENI and outcome; digests fit."""

from __future__ import annotations

import pytest
from block_inputs import ENI, INSTANCE, everything, limit_problems

from bot.requests.states import TERMINAL, Status
from bot.slack.blocks import words
from bot.slack.blocks.summary import DIGEST_MAX_ITEMS, digest, incident_summary


def _payload(status: Status, **more: object) -> dict[str, object]:
    return {
        "status": status.value,
        "eni_id": ENI,
        "instance_id": INSTANCE,
        "region": "cn-hangzhou",
        **more,
    }


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_a_summary_names_the_request_the_eni_and_the_outcome(status: Status) -> None:
    said = everything(incident_summary(_payload(status), 42))
    assert "Request #42" in said and f"`{ENI}`" in said and words.label(status) in said


def test_a_failed_summary_names_the_code_and_the_ecs_request_id() -> None:
    payload = _payload(Status.FAILED, error_code="Throttling", ecs_request_id="R-7")
    said = everything(incident_summary(payload, 1))
    assert "`Throttling`" in said and "ECS request ID `R-7`" in said


def test_a_digest_counts_its_outcomes_and_fits_slacks_limits() -> None:
    items = [(i, _payload(Status.FAILED if i % 3 else Status.DETACHED)) for i in range(500)]
    shown = digest(items)
    assert limit_problems(shown.blocks) == []
    said = everything(shown)
    assert shown.text.startswith(f":package: {DIGEST_MAX_ITEMS} ENI detach requests finished")
    assert "(34 detached, 66 failed)" in shown.text
    assert [n for n in range(500) if f"Request #{n}:" in said] == list(range(DIGEST_MAX_ITEMS))
    assert all(b["text"]["text"].count("\n") < 20 for b in shown.blocks[1:])
