"""Action, callback and event IDs shared by the listeners, the builders and app_manifest.yml."""

from __future__ import annotations

from enum import StrEnum

COMMAND = "/eni"


class ActionId(StrEnum):
    """`action_id` of every interactive element the bot posts (all named in CONTRACT.md)."""

    APPROVE = "approve_request"
    REJECT = "reject_request"
    RETRY = "retry_request"
    REATTACH = "reattach_request"  # 0.2: on a finished detach's last reply, value = its ID


class CallbackId(StrEnum):
    """`callback_id` of the bot's modals."""

    DETACH_MODAL = "detach_modal"


class ModalField(StrEnum):
    """Block and action IDs of the detach modal's inputs (block_id == action_id), in order."""

    OPERATION = "operation"  # 0.2: detach (the default) or attach
    REGION = "region"
    ENI = "eni_id"  # one or more ENI IDs (the block ID is 0.1's)
    INSTANCE = "instance_id"
    SELECTOR = "selector"  # tags (key=value), instead of ENI IDs
    REASON = "reason"


class EventType(StrEnum):
    """Events the app subscribes to."""

    APP_HOME_OPENED = "app_home_opened"


# Slack message metadata event type carried by every outbox post, so a post whose outcome
# was lost can be found again (conversations.history/replies) instead of being sent twice.
OUTBOX_METADATA_EVENT = "eni_bot_outbox"
