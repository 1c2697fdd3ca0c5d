"""`/eni`: parse at once (pure), ack at once, then do what needs the database, ECS or Slack.

The HTTP answer carries only what needs nothing else: help, a parse error, or "Checking…".
Everything else follows through `respond()` (the command's response_url, ephemeral).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltRequest, Respond
from slack_sdk.errors import SlackClientError

from bot.requests import queries, use_cases
from bot.requests.commands import (
    CancelCommand,
    CommandError,
    DetachCommand,
    DetachFormCommand,
    HelpCommand,
    ListCommand,
    Operation,
    ParsedCommand,
    ReattachCommand,
    RetryCommand,
    StatusCommand,
    parse_command,
)
from bot.slack.blocks import listing, modal, refusals, status, undo, usage
from bot.slack.blocks.ephemeral import checking, decision_reply
from bot.slack.blocks.kit import Message
from bot.slack.ids import COMMAND, ActionId
from bot.slack.listeners.context import Surface, is_retry, reattach, request_detach

log = logging.getLogger(__name__)

LIST_LIMIT = 20


def register(app: App, surface: Surface) -> None:
    """Attach the `/eni` listener."""

    @app.command(COMMAND)
    def handle_eni_command(
        ack: Ack, command: dict[str, Any], respond: Respond, request: BoltRequest
    ) -> None:
        handle_command(surface, ack, command, respond, retried=is_retry(request.headers))


def handle_command(
    surface: Surface,
    ack: Ack,
    command: dict[str, Any],
    respond: Respond,
    *,
    retried: bool = False,
) -> None:
    """Parse, ack with what is known now, then finish through `respond()`."""
    settings = surface.runtime.settings
    parsed = parse_command(
        str(command.get("text") or ""),
        default_region=settings.default_region,
        known_regions=surface.known_regions,
    )
    user_id = str(command.get("user_id") or "")
    channel_id = str(command.get("channel_id") or "")
    if isinstance(parsed, CommandError):
        ack(**usage.command_error(parsed).as_kwargs())
        return
    if isinstance(parsed, HelpCommand):
        ack(**usage.help_message().as_kwargs())
        return
    if isinstance(parsed, DetachCommand):
        ack(**checking(parsed).as_kwargs())
    elif isinstance(parsed, ReattachCommand):
        ack(**undo.checking_undo(parsed.request_id).as_kwargs())
    else:
        ack()

    def tell(reply: Message) -> None:
        respond(**reply.as_kwargs(), response_type="ephemeral", replace_original=False)

    def work() -> None:
        reply = _answer(
            surface, parsed, command, user_id=user_id, channel_id=channel_id, retried=retried
        )
        if reply is not None:
            tell(reply)

    surface.after_ack(f"/eni {type(parsed).__name__}", tell, work)


def _answer(
    surface: Surface,
    parsed: ParsedCommand,
    command: dict[str, Any],
    *,
    user_id: str,
    channel_id: str,
    retried: bool,
) -> Message | None:
    """The reply for a parsed command (None: nothing to say, e.g. the modal opened)."""
    if isinstance(parsed, DetachCommand):
        return request_detach(
            surface, parsed, user_id=user_id, channel_id=channel_id, retried=retried
        )
    if isinstance(parsed, DetachFormCommand):
        trigger_id = str(command.get("trigger_id") or "")
        return _open_modal(surface, trigger_id, channel_id, parsed.operation)
    if isinstance(parsed, StatusCommand):
        return _status(surface, parsed)
    if isinstance(parsed, ListCommand):
        return _list(surface, parsed, user_id=user_id)
    if isinstance(parsed, CancelCommand):
        return _cancel(surface, parsed.request_id, user_id=user_id)
    if isinstance(parsed, RetryCommand):
        return _retry(surface, parsed.request_id, user_id=user_id)
    if isinstance(parsed, ReattachCommand):
        return reattach(surface, parsed.request_id, user_id=user_id, retried=retried)
    return usage.help_message()


def _open_modal(
    surface: Surface, trigger_id: str, channel_id: str, operation: Operation
) -> Message | None:
    settings = surface.runtime.settings
    view = modal.detach_modal(
        allowed_regions=settings.allowed_regions,
        default_region=settings.default_region,
        channel_id=channel_id,
        operation=operation,
    )
    try:
        surface.runtime.slack.views_open(trigger_id=trigger_id, view=view)
    except SlackClientError as exc:
        log.warning("views.open failed: %s", type(exc).__name__)
        return modal.modal_unavailable()
    return None


def _status(surface: Surface, parsed: StatusCommand) -> Message:
    found = queries.history(
        surface.runtime.sessions, request_id=parsed.request_id, eni_id=parsed.eni_id
    )
    if found is None:
        if parsed.request_id is not None:
            return status.no_request(parsed.request_id)
        assert parsed.eni_id is not None  # the grammar gives one or the other
        return status.no_request_for_eni(parsed.eni_id)
    return status.status_message(
        found.request, found.events, approvers=found.approvers, rejecters=found.rejecters
    )


def _list(surface: Surface, parsed: ListCommand, *, user_id: str) -> Message:
    found = queries.list_requests(
        surface.runtime.sessions, parsed.scope, user_id=user_id, limit=LIST_LIMIT
    )
    return listing.list_message(parsed.scope, found, LIST_LIMIT)


def _cancel(surface: Surface, request_id: int, *, user_id: str) -> Message:
    runtime = surface.runtime
    decision = use_cases.cancel(
        runtime.sessions,
        request_id=request_id,
        actor_id=user_id,
        actor_is_approver=surface.people.is_approver(user_id),
        policy=runtime.policy,
        now=runtime.clock(),
    )
    surface.ring_outbox()
    return decision_reply(decision, request_id)


def _retry(surface: Surface, request_id: int, *, user_id: str) -> Message:
    if not surface.people.is_approver(user_id):
        return refusals.not_an_approver(request_id, ActionId.RETRY)
    runtime = surface.runtime
    decision = use_cases.retry(
        runtime.sessions,
        request_id=request_id,
        actor_id=user_id,
        policy=runtime.policy,
        now=runtime.clock(),
    )
    surface.ring_outbox()
    surface.ring_executor()
    return decision_reply(decision, request_id)
