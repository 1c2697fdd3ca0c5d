"""App Home: approvers get Approve/Reject on others' pending requests; everyone sees their own."""

from __future__ import annotations

from typing import Any

from block_inputs import APPROVER, REQUESTER, limit_problems, request

from bot.slack.blocks.home import HOME_MINE_LIMIT, HOME_PENDING_LIMIT, home_view
from bot.slack.blocks.refusals import bad_button_value
from bot.slack.ids import ActionId

MANY = [request(id=n, requester_id=REQUESTER if n % 2 else APPROVER) for n in range(1, 40)]


def _buttons(view: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (e["action_id"], e["value"])
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def test_approvers_can_decide_others_requests_from_home() -> None:
    view = home_view(user_id=APPROVER, is_approver=True, pending=MANY, mine=[])
    assert limit_problems(view["blocks"], max_blocks=100) == []
    shown = range(1, HOME_PENDING_LIMIT + 1)
    others = [str(n) for n in shown if n % 2]
    assert _buttons(view) == [
        (action.value, rid) for rid in others for action in (ActionId.APPROVE, ActionId.REJECT)
    ]
    text = str(view["blocks"])
    assert "Your own request: another approver must decide." in text
    assert "`/eni list pending` shows them all" in text


def test_people_who_are_not_approvers_see_only_their_own_requests() -> None:
    view = home_view(user_id=REQUESTER, is_approver=False, pending=MANY, mine=MANY)
    assert _buttons(view) == []
    text = str(view["blocks"])
    assert "Waiting for your decision" not in text
    assert [n for n in range(1, 40) if f"*#{n}*" in text] == list(range(1, HOME_MINE_LIMIT + 1))


def test_a_notice_from_a_click_shows_first() -> None:
    view = home_view(
        user_id=REQUESTER, is_approver=False, pending=[], mine=[], notice=bad_button_value()
    )
    assert view["blocks"][1] == bad_button_value().blocks[0]
    assert "None yet." in str(view["blocks"])
