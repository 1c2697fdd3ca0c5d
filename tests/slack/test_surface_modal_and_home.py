"""The detach modal (open, inline errors, submission) and the App Home tab, through real HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_harness import (
    APPROVER,
    CHANNEL,
    ENI,
    GROUP_APPROVER,
    INSTANCE,
    OUTSIDER,
    PRIMARY_ENI,
    REQUESTER,
    Harness,
    submit_request,
)

from bot.outbox.models import MessageKind
from bot.requests.states import Status
from bot.sim.slack import payloads
from bot.sim.slack.records import View
from bot.sim.slack.sender import Delivery
from bot.slack.ids import ActionId, CallbackId, ModalField


def open_modal(harness: Harness, user: str = REQUESTER) -> View:
    response = harness.command("detach", user)
    assert response.status_code == 200
    (call,) = harness.slack.wait_for_calls("views.open")
    assert call.ok
    (view,) = harness.slack.views(kind="modal")
    return view


def values(
    *,
    region: str | None = "cn-hangzhou",
    eni: str | None = ENI,
    instance: str | None = None,
    reason: str | None = "moving the app network",
) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        ModalField.REGION.value: {ModalField.REGION.value: payloads.static_select_value(region)},
        ModalField.ENI.value: {ModalField.ENI.value: payloads.plain_text_value(eni)},
        ModalField.INSTANCE.value: {ModalField.INSTANCE.value: payloads.plain_text_value(instance)},
        ModalField.REASON.value: {ModalField.REASON.value: payloads.plain_text_value(reason)},
    }


def test_detach_without_arguments_opens_the_modal(harness: Harness) -> None:
    view = open_modal(harness)
    definition = view.definition
    assert definition["callback_id"] == CallbackId.DETACH_MODAL.value
    assert json.loads(definition["private_metadata"]) == {"channel": CHANNEL}
    region_block = next(b for b in definition["blocks"] if b["block_id"] == "region")
    options = [o["value"] for o in region_block["element"]["options"]]
    assert options == ["cn-hangzhou", "cn-shanghai"]  # allowed regions only
    assert harness.count_rows() == (0, 0)


@pytest.mark.parametrize(
    ("given", "fields"),
    [
        ({"eni": None, "reason": None}, {"eni_id", "reason"}),
        ({"eni": "eni-x"}, {"eni_id"}),
        ({"instance": "web-1"}, {"instance_id"}),
        ({"region": "ap-southeast-1"}, {"region"}),
        ({"region": None}, {"region"}),
        ({"reason": "x" * 501}, {"reason"}),
    ],
)
def test_invalid_input_is_answered_inline_per_field(
    harness: Harness, given: dict[str, Any], fields: set[str]
) -> None:
    view = open_modal(harness)
    response = harness.sender.submit_view(view.id, values(**given), user_id=REQUESTER)
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == fields
    assert harness.count_rows() == (0, 0)
    assert harness.ecs.calls.total() == 0  # format errors never reach ECS


def test_valid_submission_stores_the_request_and_confirms_in_the_channel(
    harness: Harness,
) -> None:
    view = open_modal(harness)
    response = harness.sender.submit_view(view.id, values(instance=INSTANCE), user_id=REQUESTER)
    assert response.status_code == 200
    assert not response.content or response.json().get("response_action") is None
    (ephemeral,) = harness.slack.wait_for(lambda s: s.ephemerals(REQUESTER))
    assert ephemeral.channel == CHANNEL
    assert "waiting for approval" in ephemeral.text
    (request,) = harness.requests()
    target = request.target
    assert (target.eni_id, target.instance_id, request.channel_id) == (ENI, INSTANCE, CHANNEL)
    assert request.state is Status.PENDING
    (row,) = harness.outbox()
    assert row.kind == MessageKind.CARD.value and row.payload == {"channel": CHANNEL}


def test_preflight_problems_after_submission_go_to_the_user_as_an_ephemeral(
    harness: Harness,
) -> None:
    view = open_modal(harness)
    harness.sender.submit_view(view.id, values(eni=PRIMARY_ENI), user_id=REQUESTER)
    (ephemeral,) = harness.slack.wait_for(lambda s: s.ephemerals(REQUESTER))
    assert "primary ENI" in ephemeral.text
    assert harness.count_rows() == (0, 0)
    assert harness.channel_posts() == 0


def test_retried_submission_creates_one_request(harness: Harness) -> None:
    view = open_modal(harness)
    payload_view = harness.slack.view_payload(view.id)
    harness.sender.submit_view(payload_view, values(), user_id=REQUESTER)
    harness.slack.wait_for(lambda s: s.ephemerals(REQUESTER))
    harness.sender.submit_view(
        payload_view, values(), user_id=REQUESTER, delivery=Delivery(retry_num=1)
    )
    second = harness.slack.wait_for(lambda s: e if len(e := s.ephemerals(REQUESTER)) > 1 else None)
    assert "already recorded" in second[1].text
    assert len(harness.requests()) == 1


# ---------------------------------------------------------------------------- App Home


def buttons(view: View) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for _, button in payloads.iter_buttons(view.definition["blocks"]):
        found.append((str(button["action_id"]), str(button["value"])))
    return found


def test_app_home_shows_pending_approvals_to_approvers(harness: Harness) -> None:
    rid = submit_request(harness)
    response = harness.sender.app_home_opened(APPROVER)
    assert response.status_code == 200
    harness.slack.wait_for_calls("views.publish")
    home = harness.slack.home(APPROVER)
    assert home is not None
    assert buttons(home) == [
        (ActionId.APPROVE.value, str(rid)),
        (ActionId.REJECT.value, str(rid)),
    ]


def test_app_home_shows_everyone_their_own_requests(harness: Harness) -> None:
    rid = submit_request(harness)
    harness.sender.app_home_opened(REQUESTER)
    harness.sender.app_home_opened(OUTSIDER)
    harness.slack.wait_for_calls("views.publish", 2)
    mine = harness.slack.home(REQUESTER)
    theirs = harness.slack.home(OUTSIDER)
    assert mine is not None and theirs is not None
    assert f"*#{rid}*" in str(mine.definition["blocks"])
    assert buttons(mine) == []  # not an approver
    assert f"*#{rid}*" not in str(theirs.definition["blocks"])


def test_approving_from_app_home_republishes_it(harness: Harness) -> None:
    rid = submit_request(harness)
    harness.sender.app_home_opened(GROUP_APPROVER)
    harness.slack.wait_for_calls("views.publish")
    response = harness.sender.click_home(GROUP_APPROVER, ActionId.APPROVE.value, value=str(rid))
    assert response.status_code == 200
    harness.slack.wait_for_calls("views.publish", 2)
    home = harness.slack.home(GROUP_APPROVER)
    assert home is not None
    assert "approved" in str(home.definition["blocks"])
    assert buttons(home) == []
    assert harness.requests()[0].state is Status.APPROVED


def test_retried_home_event_is_harmless(harness: Harness) -> None:
    submit_request(harness)
    harness.sender.app_home_opened(APPROVER, event_id="Ev1")
    harness.sender.app_home_opened(APPROVER, event_id="Ev1", delivery=Delivery(retry_num=1))
    harness.slack.wait_for_calls("views.publish", 2)
    assert len(harness.requests()) == 1
