"""What every listener shares: the runtime, who may do what, and the after-ack helpers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackClientError

from bot.observability.context import request_context
from bot.policy import Refused as PolicyRefused
from bot.regions import PUBLIC_REGIONS
from bot.requests import queries, use_cases
from bot.requests.commands import DetachCommand
from bot.requests.preflight import Refused
from bot.requests.states import Status
from bot.requests.undo import UndoRefused
from bot.runtime import Runtime
from bot.slack import preflight
from bot.slack.auth import People
from bot.slack.blocks import ephemeral, home, policy, refusals, undo
from bot.slack.blocks.kit import Message

log = logging.getLogger(__name__)

RETRY_HEADER = "x-slack-retry-num"


@dataclass(frozen=True)
class Surface:
    """The runtime plus the approver/requester sets, handed to every listener."""

    runtime: Runtime
    people: People
    # Where work goes once a listener has acked: a pool of its own (bot.slack.app).
    after_ack_executor: Executor

    def after_ack(
        self,
        what: str,
        fail: Callable[[Message], None],
        work: Callable[[], None],
        **log_fields: Any,
    ) -> None:
        """Run post-ack work on its own pool, so the listener thread is free for the next ack.

        Bolt runs each listener on its listener pool and answers the HTTP request when it acks;
        work done inline after the ack would hold that thread (a detach's pre-flight waits on
        ECS for a second or more) and later requests' acks would queue behind it.
        """

        def run() -> None:
            # Context variables do not cross into pool threads: set the log fields there.
            with request_context(**log_fields):
                guarded(what, fail, work)

        self.after_ack_executor.submit(run)

    @property
    def known_regions(self) -> frozenset[str]:
        """Region IDs `/eni detach` recognises as tokens (allowed ones included)."""
        return frozenset(PUBLIC_REGIONS) | frozenset(self.runtime.settings.allowed_regions)

    def ring_outbox(self) -> None:
        """Wake the relay: rows were just committed."""
        self.runtime.doorbells.outbox.set()

    def ring_executor(self) -> None:
        """Wake the executor: a request became approved (or was re-initiated)."""
        self.runtime.doorbells.executor.set()


def as_object(value: Any) -> Mapping[str, Any]:
    """`value` if it is a JSON object, else an empty one: payload fields are read, not trusted."""
    return value if isinstance(value, Mapping) else {}


def id_of(value: Any) -> str:
    """The ID of a payload field Slack sends as an object with `id` (the user who clicked)."""
    found = as_object(value).get("id")
    return found if isinstance(found, str) else ""


def is_retry(headers: Mapping[str, Any] | None) -> bool:
    """Whether Slack marked this delivery as a repeat of one it thinks we missed."""
    if not headers:
        return False
    for name, value in headers.items():
        if name.lower() == RETRY_HEADER:
            return bool(value)
    return False


def guarded(what: str, fail: Callable[[Message], None], work: Callable[[], None]) -> None:
    """Run post-ack work; on an unexpected error, log it and tell the user (never silence)."""
    try:
        work()
    except Exception:
        log.exception("%s failed after ack", what)
        try:
            fail(refusals.internal_error())
        except Exception:
            log.exception("could not tell the user that %s failed", what)


def request_detach(
    surface: Surface,
    command: DetachCommand,
    *,
    user_id: str,
    channel_id: str,
    retried: bool = False,
) -> Message:
    """Pre-flight, then store the request and queue its card; the reply for the requester."""
    runtime = surface.runtime
    outcome = preflight.request_detach(
        runtime, surface.people, command, user_id=user_id, channel_id=channel_id
    )
    if isinstance(outcome, Refused):
        return _refusal(surface, outcome, user_id=user_id, retried=retried)
    if isinstance(outcome, PolicyRefused):
        return policy.policy_refusal(outcome)
    surface.ring_outbox()
    if outcome.state is Status.APPROVED:
        surface.ring_executor()  # its rule approved it (auto_approve)
    return ephemeral.request_accepted(outcome)


def reattach(surface: Surface, request_id: int, *, user_id: str, retried: bool = False) -> Message:
    """Undo a detach request (the button, `/eni reattach`); the reply for the person who asked.

    Who may is the domain's rule (its requester or an approver), so no requester check here.
    """
    runtime = surface.runtime
    outcome = use_cases.reattach(
        runtime.sessions,
        runtime.ecs,
        request_id=request_id,
        actor_id=user_id,
        actor_is_approver=surface.people.is_approver(user_id),
        allowed_regions=runtime.settings.allowed_regions,
        policy=runtime.policy,
        approval=runtime.approval_policy(),
        clock=runtime.clock,
    )
    if isinstance(outcome, UndoRefused):
        return undo.undo_refused(outcome)
    if isinstance(outcome, PolicyRefused):
        return policy.policy_refusal(outcome)
    if isinstance(outcome, Refused):
        return _refusal(surface, outcome, user_id=user_id, retried=retried)
    log.info("request %s undone by request %s (%s)", request_id, outcome.id, user_id)
    surface.ring_outbox()
    return undo.undo_accepted(outcome)


def _refusal(surface: Surface, refused: Refused, *, user_id: str, retried: bool) -> Message:
    held = refused.held_by
    if (
        retried
        and held is not None
        and held.requester_id == user_id
        and held.status == Status.PENDING.value
    ):
        # Slack repeated a command this person's pending request came from.
        return ephemeral.already_requested(held.id, held.eni_id)
    return refusals.preflight_refusal(refused, preflight.card_links(surface.runtime, refused))


def publish_home(surface: Surface, user_id: str, notice: Message | None = None) -> None:
    """Render and publish one user's Home tab from the database."""
    runtime = surface.runtime
    approver = surface.people.is_approver(user_id)
    lists = queries.home(
        runtime.sessions,
        user_id=user_id,
        is_approver=approver,
        pending_limit=home.HOME_PENDING_LIMIT + 1,
        mine_limit=home.HOME_MINE_LIMIT,
    )
    view = home.home_view(
        user_id=user_id,
        is_approver=approver,
        pending=lists.pending,
        mine=lists.mine,
        notice=notice,
    )
    try:
        runtime.slack.views_publish(user_id=user_id, view=view)
    except SlackClientError as exc:
        log.warning("views.publish failed for %s: %s", user_id, type(exc).__name__)
