"""What a failed Slack call means for the relay: the notifier's error tree.

DeliveryError                 the send did not succeed
├── SlackRateLimitedError     429: nothing applied; wait `retry_after` seconds
├── SlackUnreachableError     no answer; `applied_maybe` says whether to look before resending
└── SlackRejectedError        Slack refused the message itself; `permanent` means give up,
                              `channel_problem` that the conversation takes no bot posts
"""

from __future__ import annotations

import http.client
import urllib.error
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.slack.blocks.notices import CHANNEL_PROBLEMS

__all__ = [
    "BLIND_LOOKUP_ERRORS",
    "PERMANENT_ERRORS",
    "DeliveryError",
    "SlackRateLimitedError",
    "SlackRejectedError",
    "SlackUnreachableError",
    "call",
]

# Errors about the message or channel itself: sending the same thing again cannot succeed.
# The channel problems (bot.slack.blocks.notices.CHANNEL_PROBLEMS) are conclusive at once.
PERMANENT_ERRORS = CHANNEL_PROBLEMS | frozenset(
    {
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "thread_not_found",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "user_not_in_channel",
    }
)
# Answers to conversations.history/replies meaning "this token cannot look here", not "try
# again later": a lookup that gets one cannot tell whether the post landed.
BLIND_LOOKUP_ERRORS = frozenset(
    {
        "missing_scope",
        "not_in_channel",
        "channel_not_found",
        "thread_not_found",
        "no_permission",
        "access_denied",
        "not_allowed_token_type",
        "team_access_not_granted",
        "ekm_access_denied",
        "method_deprecated",
    }
)


class DeliveryError(Exception):
    """A send did not succeed; subclasses say why. The message never holds the token."""


class SlackRateLimitedError(DeliveryError):
    """HTTP 429: nothing was applied; Slack asks to wait `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after:g} s")
        self.retry_after = retry_after


class SlackUnreachableError(DeliveryError):
    """No usable answer (refused, reset, timeout, 5xx); the post may have happened if maybe."""

    def __init__(self, reason: str, *, applied_maybe: bool) -> None:
        super().__init__(reason)
        self.applied_maybe = applied_maybe


class SlackRejectedError(DeliveryError):
    """Slack answered ok=false with `error`; `permanent` when resending cannot help.

    `channel_problem`: the conversation will not take the bot's posts (private without the bot,
    archived, a DM it cannot write to); Slack's first such answer is conclusive.
    """

    def __init__(self, error: str, *, needed: str = "") -> None:
        super().__init__(f"slack refused: {error}")
        self.error = error
        self.needed = needed  # the scope Slack names with missing_scope
        self.permanent = error in PERMANENT_ERRORS
        self.channel_problem = error in CHANNEL_PROBLEMS


def call(
    method: str, send: Callable[[], SlackResponse], *, applied_maybe: bool
) -> Mapping[str, Any]:
    """One Web API call (`send`); failures become DeliveryError subclasses."""
    try:
        response = send()
    except SlackApiError as exc:
        raise from_api_error(exc, applied_maybe=applied_maybe) from None
    except urllib.error.URLError as exc:
        refused = isinstance(exc.reason, ConnectionRefusedError)
        raise SlackUnreachableError(
            f"{method}: {type(exc.reason).__name__}",
            applied_maybe=applied_maybe and not refused,
        ) from None
    except ConnectionRefusedError:
        raise SlackUnreachableError(f"{method}: refused", applied_maybe=False) from None
    except (TimeoutError, OSError, http.client.HTTPException) as exc:
        raise SlackUnreachableError(
            f"{method}: {type(exc).__name__}", applied_maybe=applied_maybe
        ) from None
    data = response.data
    return data if isinstance(data, Mapping) else {}


def from_api_error(exc: SlackApiError, *, applied_maybe: bool) -> DeliveryError:
    """The error a SlackApiError (an HTTP answer) stands for."""
    response = exc.response
    status = int(getattr(response, "status_code", 0) or 0)
    headers = getattr(response, "headers", {}) or {}
    if status == 429:
        return SlackRateLimitedError(_retry_after(headers))
    data = getattr(response, "data", None)
    error = str(data.get("error") or "") if isinstance(data, Mapping) else ""
    if status >= 500 or not error:
        return SlackUnreachableError(f"HTTP {status} {error}".strip(), applied_maybe=applied_maybe)
    if error == "ratelimited":
        return SlackRateLimitedError(_retry_after(headers))
    needed = data.get("needed") if isinstance(data, Mapping) else None
    return SlackRejectedError(error, needed=str(needed or ""))


def _retry_after(headers: Mapping[str, Any]) -> float:
    for name, value in headers.items():
        if str(name).lower() == "retry-after":
            raw = value[0] if isinstance(value, list) and value else value
            try:
                return max(0.0, float(str(raw)))
            except ValueError:
                break
    return 1.0
