"""The `/eni detach` (and `/eni attach`) form: its view, its inline field errors, and what is
said when it fails."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from bot.requests.commands import MAX_REASON_LENGTH, MAX_TAGS, Operation, Subcommand
from bot.slack.blocks import kit
from bot.slack.blocks.kit import Block, Message
from bot.slack.blocks.text import channel
from bot.slack.blocks.usage import usage
from bot.slack.ids import CallbackId, ModalField

__all__ = [
    "FIELD_ERRORS",
    "FieldProblem",
    "detach_modal",
    "field_error",
    "modal_confirmation_failed",
    "modal_metadata",
    "modal_unavailable",
]


class FieldProblem(StrEnum):
    """What can be wrong with one field of the form (answered inline, `response_action`)."""

    REGION_MISSING = "region_missing"
    REGION_NOT_ALLOWED = "region_not_allowed"
    ENI_MISSING = "eni_missing"  # no ENI, no instance, no tag: nothing to detach
    ENI_SHAPE = "eni_shape"
    INSTANCE_SHAPE = "instance_shape"
    TAG_SHAPE = "tag_shape"
    TAG_TWICE = "tag_twice"
    TOO_MANY_TAGS = "too_many_tags"
    ENIS_WITH_TAGS = "enis_with_tags"
    ENI_MISSING_TO_ATTACH = "eni_missing_to_attach"  # an attach lists its ENIs
    TAGS_NOT_FOR_ATTACH = "tags_not_for_attach"
    REASON_MISSING = "reason_missing"
    REASON_LONG = "reason_long"


FIELD_ERRORS: Mapping[FieldProblem, str] = {
    FieldProblem.REGION_MISSING: "Choose a region.",
    FieldProblem.REGION_NOT_ALLOWED: (
        "This bot does not act in that region; choose one from the list."
    ),
    FieldProblem.ENI_MISSING: (
        "Enter the ENI IDs (they start with eni-), or an instance ID for all its secondary "
        "ENIs, or tags."
    ),
    FieldProblem.ENI_SHAPE: (
        "{token} is not an ENI ID; ENI IDs look like eni-bp1d7r2k9m4x6c3v5n (one per line, or "
        "separated by spaces or commas)."
    ),
    FieldProblem.INSTANCE_SHAPE: (
        "That is not an instance ID; it looks like i-bp1a3f9k2m7x4q8w6e."
    ),
    FieldProblem.TAG_SHAPE: "{token} is not a tag; write key=value (or tag:key=value).",
    FieldProblem.TAG_TWICE: "{token} names a tag key already given; an ENI has one value per key.",
    FieldProblem.TOO_MANY_TAGS: f"At most {MAX_TAGS} tags; narrow with an instance ID instead.",
    FieldProblem.ENIS_WITH_TAGS: (
        "Fill in ENI IDs or tags, not both: clear this field to detach exactly the listed ENIs."
    ),
    FieldProblem.ENI_MISSING_TO_ATTACH: "Enter the ENI IDs to attach (they start with eni-).",
    FieldProblem.TAGS_NOT_FOR_ATTACH: (
        "Tags select ENIs to detach; an attach lists its ENI IDs. Clear this field."
    ),
    FieldProblem.REASON_MISSING: "Give a reason; approvers read it before they decide.",
    FieldProblem.REASON_LONG: f"Keep the reason to {MAX_REASON_LENGTH} characters.",
}


# How much of a typed word an inline error echoes (errors are plain text, shown under the field).
_ECHO = 40


def field_error(problem: FieldProblem, token: str = "") -> str:
    """The inline error for a field, naming the word it is about (cut short)."""
    echoed = token if len(token) <= _ECHO else token[: _ECHO - 1] + "…"
    return FIELD_ERRORS[problem].format(token=f'"{echoed}"')


def modal_metadata(channel_id: str) -> str:
    """What travels through the modal: the channel the command came from."""
    return json.dumps({"channel": channel_id}, separators=(",", ":"))


# Longest text the list fields take: Slack's limit for a plain_text_input.
_LIST_LENGTH = 3000


def _text_input(field: ModalField, label: str, **element: Any) -> Block:
    return {
        "type": "input",
        "block_id": field.value,
        "label": kit.plain(label),
        "element": {"type": "plain_text_input", "action_id": field.value, **element},
    }


def detach_modal(
    *,
    allowed_regions: Sequence[str],
    default_region: str,
    channel_id: str,
    operation: Operation = "detach",
) -> dict[str, Any]:
    """The form: what to do (detach unless `operation` says attach), region (allowed ones
    only), ENI IDs, instance, tags, reason.

    ENI IDs, instance and tags are each optional; together they say what to detach, as the
    command's tokens do (the listener checks that they do). An attach lists ENI IDs, and the
    instance is where they go.
    """
    operations = [kit.option("Detach ENIs", "detach"), kit.option("Attach ENIs", "attach")]
    operation_select: Block = {
        "type": "static_select",
        "action_id": ModalField.OPERATION.value,
        "options": operations,
        "initial_option": operations[1] if operation == "attach" else operations[0],
    }
    options = [kit.option(region, region) for region in list(allowed_regions)[: kit.OPTIONS_LIMIT]]
    region_select: Block = {
        "type": "static_select",
        "action_id": ModalField.REGION.value,
        "placeholder": kit.plain("Choose a region"),
        "options": options,
    }
    initial = next((o for o in options if o["value"] == default_region), None)
    if initial is not None:
        region_select["initial_option"] = initial
    instance = _text_input(
        ModalField.INSTANCE, "Instance ID", placeholder=kit.plain("i-…"), max_length=60
    )
    enis = _text_input(
        ModalField.ENI,
        "ENI IDs",
        placeholder=kit.plain("eni-… (one per line)"),
        multiline=True,
        max_length=_LIST_LENGTH,
    )
    tags = _text_input(
        ModalField.SELECTOR,
        "Or select by tags",
        placeholder=kit.plain("app=web env=prod"),
        max_length=_LIST_LENGTH,
    )
    reason = _text_input(ModalField.REASON, "Reason", multiline=True, max_length=MAX_REASON_LENGTH)
    return {
        "type": "modal",
        "callback_id": CallbackId.DETACH_MODAL.value,
        "private_metadata": modal_metadata(channel_id),
        "title": kit.plain("Detach or attach ENIs"),
        "submit": kit.plain("Check and request"),
        "close": kit.plain("Cancel"),
        "blocks": kit.view_blocks(
            [
                {
                    "type": "input",
                    "block_id": ModalField.OPERATION.value,
                    "label": kit.plain("What to do"),
                    "element": operation_select,
                },
                {
                    "type": "input",
                    "block_id": ModalField.REGION.value,
                    "label": kit.plain("Region"),
                    "element": region_select,
                },
                {
                    **enis,
                    "optional": True,
                    "hint": kit.plain(
                        "One per line, or separated by spaces or commas. Empty: select by "
                        "instance or tags."
                    ),
                },
                {
                    **instance,
                    "optional": True,
                    "hint": kit.plain(
                        "Detach: with ENI IDs, each must be attached to it (empty: each ENI's "
                        "own); alone, every secondary ENI of the instance. Attach: where the "
                        "ENIs go (empty: where this bot last detached each from)."
                    ),
                },
                {
                    **tags,
                    "optional": True,
                    "hint": kit.plain(
                        "Detach only, instead of ENI IDs: every attached secondary ENI with all "
                        "these tags (key=value, separated by spaces), on the instance above if "
                        "given."
                    ),
                },
                {**reason, "hint": kit.plain("Approvers read this before they decide.")},
            ]
        ),
    }


def modal_unavailable() -> Message:
    """views.open failed (the trigger expired or Slack was unreachable)."""
    return kit.note(
        ":warning: The form could not be opened (Slack allows 3 seconds to open it). "
        "Try `/eni detach` again, or type the request in one line: "
        f"{usage(Subcommand.DETACH)}."
    )


def modal_confirmation_failed(channel_id: str) -> Message:
    """Shown in the App's DM when the channel refused the ephemeral (bot not in it)."""
    return kit.note(
        f":information_source: I could not post in {channel(channel_id)}; invite me there "
        "(`/invite @eni-bot`) so approval cards can be posted."
    )
