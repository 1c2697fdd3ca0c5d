"""The detach (or attach) modal's submission: format errors inline at once, pre-flight after
the ack.

Slack closes the modal on an empty ack; what pre-flight finds goes to the user as an ephemeral in
the channel the command came from (carried in `private_metadata`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt import Ack, App, BoltRequest
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.requests.commands import (
    MAX_REASON_LENGTH,
    MAX_TAGS,
    DetachCommand,
    TagFilter,
    clean_text,
    is_eni_id,
    is_instance_id,
    parse_tag,
    split_list,
)
from bot.slack.blocks.kit import Message
from bot.slack.blocks.modal import (
    FIELD_ERRORS,
    FieldProblem,
    field_error,
    modal_confirmation_failed,
)
from bot.slack.blocks.refusals import internal_error
from bot.slack.ids import CallbackId, ModalField
from bot.slack.listeners.context import Surface, as_object, id_of, is_retry, request_detach

log = logging.getLogger(__name__)

_NOT_IN_CHANNEL = frozenset({"channel_not_found", "not_in_channel", "is_archived"})


def register(app: App, surface: Surface) -> None:
    """Attach the modal submission listener."""

    @app.view(CallbackId.DETACH_MODAL.value)
    def handle_detach_view(ack: Ack, body: dict[str, Any], request: BoltRequest) -> None:
        handle_submission(surface, ack, body, retried=is_retry(request.headers))


def field_values(view: Mapping[str, Any]) -> dict[str, str]:
    """The submitted values by field (selects give their option's value; empty is "")."""
    values = as_object(as_object(view.get("state")).get("values"))
    out: dict[str, str] = {}
    for name in ModalField:
        state = as_object(as_object(values.get(name.value)).get(name.value))
        if state.get("type") == "static_select":
            value = as_object(state.get("selected_option")).get("value")
        else:
            value = state.get("value")
        # Slack sends text or nothing; anything else is no answer, not its repr.
        out[name.value] = value if isinstance(value, str) else ""
    return out


def validate(
    values: Mapping[str, str], *, allowed_regions: list[str], default_region: str
) -> DetachCommand | dict[str, str]:
    """The command, or the errors per block ID for `response_action: errors`."""
    attach = values.get(ModalField.OPERATION.value, "") == "attach"  # else detach, the default
    region = values.get(ModalField.REGION.value, "").strip()
    enis = split_list(values.get(ModalField.ENI.value, ""))
    instance = values.get(ModalField.INSTANCE.value, "").strip()
    tags, tag_problem = _tags(split_list(values.get(ModalField.SELECTOR.value, "")))
    reason = clean_text(values.get(ModalField.REASON.value, ""))
    errors: dict[str, str] = {}
    if not region:
        errors[ModalField.REGION.value] = FIELD_ERRORS[FieldProblem.REGION_MISSING]
    elif region not in allowed_regions:
        errors[ModalField.REGION.value] = FIELD_ERRORS[FieldProblem.REGION_NOT_ALLOWED]
    bad = next((e for e in enis if not is_eni_id(e)), None)
    if bad is not None:
        errors[ModalField.ENI.value] = field_error(FieldProblem.ENI_SHAPE, bad)
    elif attach and not enis:
        errors[ModalField.ENI.value] = FIELD_ERRORS[FieldProblem.ENI_MISSING_TO_ATTACH]
    elif not (enis or instance or tags or tag_problem):
        errors[ModalField.ENI.value] = FIELD_ERRORS[FieldProblem.ENI_MISSING]
    if instance and not is_instance_id(instance):
        errors[ModalField.INSTANCE.value] = FIELD_ERRORS[FieldProblem.INSTANCE_SHAPE]
    if attach and (tags or tag_problem):
        errors[ModalField.SELECTOR.value] = FIELD_ERRORS[FieldProblem.TAGS_NOT_FOR_ATTACH]
    elif tag_problem is not None:
        errors[ModalField.SELECTOR.value] = tag_problem
    elif enis and tags:
        errors[ModalField.SELECTOR.value] = FIELD_ERRORS[FieldProblem.ENIS_WITH_TAGS]
    if not reason:
        errors[ModalField.REASON.value] = FIELD_ERRORS[FieldProblem.REASON_MISSING]
    elif len(reason) > MAX_REASON_LENGTH:
        errors[ModalField.REASON.value] = FIELD_ERRORS[FieldProblem.REASON_LONG]
    if errors:
        return errors
    return DetachCommand(
        operation="attach" if attach else "detach",
        eni_ids=tuple(dict.fromkeys(enis)),  # a repeated ID counts once
        instance_id=instance or None,
        tags=tags,
        region=region,
        region_given=region != default_region,
        reason=reason,
    )


def _tags(words: list[str]) -> tuple[tuple[TagFilter, ...], str | None]:
    """The tag field as filters, or the inline error for its first bad word."""
    found: dict[str, str] = {}
    for word in words:
        parsed = parse_tag(word)
        if parsed is None:
            return (), field_error(FieldProblem.TAG_SHAPE, word)
        key, value = parsed
        if found.get(key, value) != value:
            return (), field_error(FieldProblem.TAG_TWICE, word)
        found[key] = value
    if len(found) > MAX_TAGS:
        return (), FIELD_ERRORS[FieldProblem.TOO_MANY_TAGS]
    return tuple(found.items()), None


def _channel_of(view: Mapping[str, Any]) -> str:
    try:
        meta = json.loads(str(view.get("private_metadata") or "{}"))
    except (ValueError, RecursionError):
        return ""
    channel = meta.get("channel") if isinstance(meta, dict) else None
    return channel if isinstance(channel, str) else ""


def handle_submission(
    surface: Surface, ack: Ack, body: dict[str, Any], *, retried: bool = False
) -> None:
    """Inline errors at once, or close the modal and pre-flight after the ack."""
    settings = surface.runtime.settings
    view = as_object(body.get("view"))
    checked = validate(
        field_values(view),
        allowed_regions=list(settings.allowed_regions),
        default_region=settings.default_region,
    )
    if isinstance(checked, dict):
        ack(response_action="errors", errors=checked)
        return
    ack()
    user_id = id_of(body.get("user"))
    channel_id = _channel_of(view)

    def tell(reply: Message) -> None:
        _tell(surface, channel_id, user_id, reply)

    def work() -> None:
        if not channel_id:
            tell(internal_error())
            return
        reply = request_detach(
            surface, checked, user_id=user_id, channel_id=channel_id, retried=retried
        )
        tell(reply)

    surface.after_ack("detach modal", tell, work)


def _tell(surface: Surface, channel_id: str, user_id: str, reply: Message) -> None:
    """Ephemeral in the command's channel; the App's DM when the bot cannot post there."""
    slack = surface.runtime.slack
    if channel_id:
        try:
            slack.chat_postEphemeral(channel=channel_id, user=user_id, **reply.as_kwargs())
            return
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            if error not in _NOT_IN_CHANNEL:
                log.warning("chat.postEphemeral failed: %s", error)
                return
        except SlackClientError as exc:
            log.warning("chat.postEphemeral failed: %s", type(exc).__name__)
            return
    try:
        slack.chat_postMessage(channel=user_id, **reply.as_kwargs())
        if channel_id:
            slack.chat_postMessage(
                channel=user_id, **modal_confirmation_failed(channel_id).as_kwargs()
            )
    except SlackClientError as exc:
        log.warning("could not reach %s by DM: %s", user_id, type(exc).__name__)
