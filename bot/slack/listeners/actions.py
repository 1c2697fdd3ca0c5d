"""Approve, reject, retry and re-attach clicks: ack at once, then authorise at click time and act.

Nothing in the payload is trusted but the clicking user's ID (Slack signs the request) and the
request ID on the button (checked against the database). Approve and Reject are judged by the
approval policy at the click (the governing rule's approvers, or a freeze's), in the domain;
Retry by ENIBOT_APPROVERS. The store's compare-and-swap makes a
repeated or concurrent click change the state once; the others get a polite ephemeral.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackClientError

from bot.requests import governing, use_cases
from bot.requests.commands import parse_request_id
from bot.requests.schemas import Decision, Outcome
from bot.slack.blocks import refusals
from bot.slack.blocks.ephemeral import decision_reply
from bot.slack.blocks.kit import Message
from bot.slack.ids import ActionId
from bot.slack.listeners.context import Surface, as_object, id_of, publish_home, reattach

log = logging.getLogger(__name__)


def register(app: App, surface: Surface) -> None:
    """Attach the button listeners (one per action ID)."""
    for action_id in ActionId:
        app.action(action_id.value)(_listener(surface, action_id))


def _listener(surface: Surface, action_id: ActionId) -> Callable[..., None]:
    # Bolt passes arguments by parameter name, so the action ID is bound by closure.
    def handle_request_action(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        handle_click(surface, action_id, ack, body, action, respond)

    return handle_request_action


def handle_click(
    surface: Surface,
    action_id: ActionId,
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
) -> None:
    """Ack, then decide and tell the clicker what happened."""
    ack()
    user_id = id_of(body.get("user"))
    request_id = parse_request_id(str(action.get("value") or ""))

    def tell(reply: Message) -> None:
        _tell(surface, body, respond, user_id, reply)

    def work() -> None:
        if request_id is None:
            tell(refusals.bad_button_value())
            return
        if action_id is ActionId.REATTACH:
            # Its requester may undo a request too: who may is the use case's rule.
            tell(reattach(surface, request_id, user_id=user_id))
            return
        if action_id is ActionId.RETRY and not surface.people.is_approver(user_id):
            tell(refusals.not_an_approver(request_id, action_id))
            return
        decision = _decide(surface, action_id, request_id, user_id)
        log.info(
            "click %s on request %s by %s: %s%s",
            action_id.value,
            request_id,
            user_id,
            decision.outcome.value,
            f" ({decision.refusal.value})" if decision.refusal else "",
        )
        tell(decision_reply(decision, request_id))

    surface.after_ack(
        f"click {action_id.value}", tell, work, request_id=request_id, slack_user=user_id
    )


def _decide(
    surface: Surface,
    action_id: ActionId,
    request_id: int,
    user_id: str,
) -> Decision:
    runtime = surface.runtime
    now = runtime.clock()
    sessions, policy = runtime.sessions, runtime.policy
    if action_id is ActionId.APPROVE:
        decision = use_cases.approve(
            sessions,
            request_id=request_id,
            approver_id=user_id,
            judge=_judge(surface, now),
            policy=policy,
            now=now,
        )
    elif action_id is ActionId.REJECT:
        decision = use_cases.reject(
            sessions,
            request_id=request_id,
            approver_id=user_id,
            judge=_judge(surface, now),
            policy=policy,
            now=now,
        )
    else:
        decision = use_cases.retry(
            sessions, request_id=request_id, actor_id=user_id, policy=policy, now=now
        )
    # Even a refusal may have written rows (an overdue request expires on the spot).
    surface.ring_outbox()
    if decision.outcome in (Outcome.APPROVED, Outcome.RETRYING):
        surface.ring_executor()
    return decision


def _judge(surface: Surface, now: datetime) -> governing.PolicyJudge:
    """The policy at the click's time, with the groups it names resolved now, outside the
    transaction: the clicker is judged by it, and so is every earlier approval in the recount."""
    approval = surface.runtime.approval_policy()
    groups_of = surface.people.groups_of(governing.policy_groups(approval))
    return governing.PolicyJudge(approval, groups_of, now)


def _tell(
    surface: Surface, body: dict[str, Any], respond: Respond, user_id: str, reply: Message
) -> None:
    """Ephemeral to the clicker: in the message's channel, or on their Home tab."""
    container = as_object(body.get("container"))
    if container.get("type") == "view":
        publish_home(surface, user_id, notice=reply)
        return
    if body.get("response_url"):
        respond(**reply.as_kwargs(), response_type="ephemeral", replace_original=False)
        return
    channel = container.get("channel_id") or id_of(body.get("channel"))
    if channel:
        try:
            surface.runtime.slack.chat_postEphemeral(
                channel=channel, user=user_id, **reply.as_kwargs()
            )
        except SlackClientError as exc:
            log.warning("chat.postEphemeral failed: %s", type(exc).__name__)
