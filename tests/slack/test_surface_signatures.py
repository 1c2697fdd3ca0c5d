"""Every HTTP request is verified (v0 HMAC, 5-minute window); failures are 401, change nothing."""

from __future__ import annotations

import pytest
from slack_harness import ENI, REQUESTER, Harness

from bot.sim.slack.sender import Delivery
from bot.sim.slack.signing import Forgery


@pytest.mark.parametrize("forgery", list(Forgery))
def test_forged_or_stale_commands_get_401_and_store_nothing(
    harness: Harness, forgery: Forgery
) -> None:
    response = harness.command(
        f"detach {ENI} moving the app network", delivery=Delivery(forgery=forgery)
    )
    assert response.status_code == 401
    assert harness.count_rows() == (0, 0)
    # No listener ran: no ECS call, no Slack call beyond the app's own auth.test at start.
    assert harness.ecs.calls.total() == 0
    assert {c.method for c in harness.slack.calls()} <= {"auth.test"}


@pytest.mark.parametrize("forgery", [Forgery.BAD_SIGNATURE, Forgery.STALE, Forgery.FUTURE])
def test_forged_clicks_and_events_get_401(harness: Harness, forgery: Forgery) -> None:
    message = {
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
                        "value": "1",
                        "text": {"type": "plain_text", "text": "Approve"},
                    }
                ],
            }
        ],
    }
    click = harness.sender.click(
        message, "approve_request", user_id=REQUESTER, delivery=Delivery(forgery=forgery)
    )
    home = harness.sender.app_home_opened(REQUESTER, delivery=Delivery(forgery=forgery))
    assert (click.status_code, home.status_code) == (401, 401)
    assert not harness.slack.calls("views.publish")
    assert not harness.slack.responses()


def test_a_correctly_signed_request_is_accepted(harness: Harness) -> None:
    assert harness.command("help").status_code == 200
