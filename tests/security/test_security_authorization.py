"""Who may request and approve is decided at click time, against settings and Slack's user groups.

Already covered in tests/slack/test_surface_actions.py and test_surface_commands.py (workers off,
cards posted by hand): a non-approver's approve/reject, self-approval at quorum 1, a group
member approving, quorum 2 counting distinct approvers in sequence, a non-requester's
`/eni detach`. Here, with the workers posting the real cards: a non-requester through the modal
and through a requester user group; self-approval inside a quorum of 2; the same approver twice
at quorum 2, concurrently and as a retried delivery; an approver removed from the user group
between the card and the click, with the group cache cold and after its window.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from security_stack import (
    APPROVER,
    APPROVER_GROUP,
    CHANNEL,
    ENI_APP,
    ENI_DB,
    GROUP_APPROVER,
    OTHER_APPROVER,
    OUTSIDER,
    REQUESTER,
    REQUESTER_GROUP,
    Stack,
    full_stack,
)
from sqlalchemy import func, select

from bot.requests.models import Approval
from bot.runtime import Runtime
from bot.sim.slack import payloads
from bot.sim.slack.records import Message
from bot.sim.slack.sender import Delivery
from bot.slack.auth import GROUP_CACHE_SECONDS, People, people_from
from bot.slack.ids import ActionId, ModalField

from support.clock import Clock
from support.waiting import wait_until


def click_answer(bot: Stack, card: Message, action: ActionId, user: str, **kw: Any) -> str:
    """Press a button and return the ephemeral answer the clicker got."""
    response = bot.sender.click(card, action.value, user_id=user, **kw)
    assert response.status_code == 200
    assert bot.sender.last is not None and bot.sender.last.response_url
    url = bot.sender.last.response_url
    posts = bot.slack.wait_for(lambda s: s.responses(url))
    return posts[0].text


def approvals(bot: Stack, rid: int) -> int:
    with bot.runtime.sessions() as session:
        query = select(func.count()).select_from(Approval).where(Approval.request_id == rid)
        return int(session.scalar(query) or 0)


def buttons(message: Message) -> list[str]:
    return [str(b["action_id"]) for _, b in payloads.iter_buttons(message.blocks)]


def test_non_requester_is_refused_through_the_modal_and_a_group_member_is_not(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'req.db'}"
    groups = {APPROVER_GROUP: [GROUP_APPROVER], REQUESTER_GROUP: [REQUESTER]}
    with full_stack(url, usergroups=groups, requesters=REQUESTER_GROUP) as bot:
        before = bot.row_counts()
        assert bot.command("detach", OUTSIDER).status_code == 200
        (view,) = bot.slack.wait_for(lambda s: s.views(kind="modal"))
        values = {
            ModalField.REGION.value: {
                ModalField.REGION.value: payloads.static_select_value("cn-hangzhou")
            },
            ModalField.ENI.value: {ModalField.ENI.value: payloads.plain_text_value(ENI_APP)},
            ModalField.INSTANCE.value: {ModalField.INSTANCE.value: payloads.plain_text_value(None)},
            ModalField.REASON.value: {ModalField.REASON.value: payloads.plain_text_value("mine")},
        }
        response = bot.sender.submit_view(view.id, values, user_id=OUTSIDER)
        assert response.status_code == 200
        (refusal,) = bot.slack.wait_for(lambda s: s.ephemerals(OUTSIDER))
        assert "not on the list of people who may request" in refusal.text
        assert bot.row_counts() == before
        assert bot.ecs.calls.total() == 0  # refused before ECS was asked anything
        assert bot.slack.messages(CHANNEL) == []

        # A member of the requester group may; membership is looked up in Slack.
        rid = bot.request_detach(ENI_APP, "rotating the NIC")
        assert bot.card(rid).text
        group_lookups = bot.slack.calls("usergroups.users.list")
        assert REQUESTER_GROUP in {c.params["usergroup"] for c in group_lookups}


def test_self_approval_does_not_count_towards_a_quorum_of_two(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'self.db'}"
    approvers = f"{APPROVER},{OTHER_APPROVER},{APPROVER_GROUP}"
    with full_stack(url, required_approvals=2, approvers=approvers) as bot:
        rid = bot.request_detach(ENI_APP, "my own change", user=APPROVER)
        card = bot.card(rid)
        assert "cannot approve your own request" in click_answer(
            bot, card, ActionId.APPROVE, APPROVER
        )
        assert approvals(bot, rid) == 0
        assert "1 of 2" in click_answer(bot, card, ActionId.APPROVE, GROUP_APPROVER)
        assert bot.request(rid).status == "pending"
        click_answer(bot, card, ActionId.APPROVE, OTHER_APPROVER)
        assert bot.wait_status(rid, "detached").status == "detached"
        assert approvals(bot, rid) == 2


def test_the_same_approver_twice_at_once_or_retried_leaves_a_quorum_of_two_pending(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'quorum.db'}"
    with full_stack(url, required_approvals=2) as bot:
        rid = bot.request_detach(ENI_APP, "rotating the NIC")
        card = bot.card(rid)
        barrier = threading.Barrier(3)
        codes: list[int] = []

        def press() -> None:
            barrier.wait()
            response = bot.sender.click(card, ActionId.APPROVE.value, user_id=APPROVER)
            codes.append(response.status_code)

        threads = [threading.Thread(target=press) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert codes == [200, 200, 200]
        answered = bot.slack.wait_for(lambda s: r if len(r := s.responses()) >= 4 else None)
        texts = sorted(r.text for r in answered[1:])  # the first is the request's confirmation
        assert sum("1 of 2" in t for t in texts) == 1, texts
        assert sum("already decided" in t for t in texts) == 2, texts
        # Slack delivering the same click again does not count twice either.
        answer = click_answer(bot, card, ActionId.APPROVE, APPROVER, delivery=Delivery(retry_num=1))
        assert "already decided" in answer
        wait_until(lambda: bot.undelivered() == 0)
        assert bot.request(rid).status == "pending"
        assert approvals(bot, rid) == 1
        shown = bot.slack.message(CHANNEL, card.ts)
        assert shown is not None
        assert buttons(shown) == [ActionId.APPROVE, ActionId.REJECT]  # still open for a second
        assert bot.ecs.calls.total("DetachNetworkInterface") == 0


def test_approver_removed_from_the_group_before_the_first_lookup_is_refused(
    tmp_path: Path,
) -> None:
    with full_stack(f"sqlite:///{tmp_path / 'cold.db'}") as bot:
        rid = bot.request_detach(ENI_APP, "rotating the NIC")
        card = bot.card(rid)
        bot.slack.set_usergroup(APPROVER_GROUP, [])
        assert "Only approvers" in click_answer(bot, card, ActionId.APPROVE, GROUP_APPROVER)
        assert bot.request(rid).status == "pending"
        assert approvals(bot, rid) == 0


def people_on(clock: Clock) -> Callable[[Runtime], People]:
    """The app's approver check, caching group members on the test's clock."""

    def people(runtime: Runtime) -> People:
        settings = runtime.settings
        return people_from(
            settings.approvers, settings.requesters, runtime.slack, clock=clock.monotonic
        )

    return people


def test_approver_removed_from_the_group_is_refused_once_the_cache_window_ends(
    tmp_path: Path,
) -> None:
    # Group members are cached for GROUP_CACHE_SECONDS (60 s): a member removed while the cache
    # is warm may still decide until it expires. The clock is injected so the window is not
    # waited out in real time.
    clock = Clock()

    people = people_on(clock)

    with full_stack(f"sqlite:///{tmp_path / 'warm.db'}", people=people) as bot:
        first = bot.request_detach(ENI_APP, "rotating the NIC")
        assert "approved" in click_answer(bot, bot.card(first), ActionId.APPROVE, GROUP_APPROVER)
        lookups = len(bot.slack.calls("usergroups.users.list"))

        second = bot.request_detach(ENI_DB, "moving replication")
        card = bot.card(second)
        bot.slack.set_usergroup(APPROVER_GROUP, [])
        clock.advance(GROUP_CACHE_SECONDS + 0.5)
        assert "Only approvers" in click_answer(bot, card, ActionId.APPROVE, GROUP_APPROVER)
        assert len(bot.slack.calls("usergroups.users.list")) == lookups + 1  # asked Slack again
        assert bot.request(second).status == "pending"
        assert approvals(bot, second) == 0
        # A listed approver is unaffected.
        assert "approved" in click_answer(bot, card, ActionId.APPROVE, APPROVER)


def test_an_approver_removed_after_approving_no_longer_counts_toward_quorum(
    tmp_path: Path,
) -> None:
    # Each counted approval is re-checked when the quorum would be reached: an approval from
    # someone who has since left the approvers' group is kept in the audit, but counts for 0.
    clock = Clock()

    people = people_on(clock)

    url = f"sqlite:///{tmp_path / 'recount.db'}"
    approvers = f"{APPROVER},{OTHER_APPROVER},{APPROVER_GROUP}"
    with full_stack(url, required_approvals=2, approvers=approvers, people=people) as bot:
        rid = bot.request_detach(ENI_APP, "rotating the NIC")
        card = bot.card(rid)
        assert "1 of 2" in click_answer(bot, card, ActionId.APPROVE, GROUP_APPROVER)
        bot.slack.set_usergroup(APPROVER_GROUP, [])
        clock.advance(GROUP_CACHE_SECONDS + 0.5)
        answer = click_answer(bot, card, ActionId.APPROVE, APPROVER)
        assert "1 of 2" in answer, answer
        assert bot.request(rid).status == "pending"
        assert approvals(bot, rid) == 2  # both decisions stay on record
        # A current approver completes the quorum.
        click_answer(bot, card, ActionId.APPROVE, OTHER_APPROVER)
        assert bot.wait_status(rid, "detached").status == "detached"
        assert bot.ecs.calls.total("DetachNetworkInterface") == 1
