"""What a failed Slack call means for the relay, in the outbox port's error types.

The tree is the port's (bot/outbox/port.py), so the relay reads nothing of Slack:

    429, `ratelimited`               RateLimitedError(retry_after from Retry-After)
    refused, reset, timeout, 5xx     UnreachableError(applied_maybe: unless refused, or a read)
    ok=false with an error code      SlackRejectedError, a RejectedError: `permanent` for the
                                     codes below, `conclusive` for a channel that takes no posts
"""

from __future__ import annotations

import http.client
import urllib.error
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.outbox.port import DeliveryError, RateLimitedError, RejectedError, UnreachableError
from bot.slack.blocks.notices import CHANNEL_PROBLEMS

__all__ = [
    "BLIND_LOOKUP_ERRORS",
    "PERMANENT_ERRORS",
    "SlackRejectedError",
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


class SlackRejectedError(RejectedError):
    """Slack answered ok=false with `error`; permanent when resending cannot help.

    Conclusive for a conversation that will not take the bot's posts (private without the bot,
    archived, a DM it cannot write to): Slack's first such answer settles it.
    """

    def __init__(self, error: str, *, needed: str = "") -> None:
        super().__init__(
            error,
            permanent=error in PERMANENT_ERRORS,
            conclusive=error in CHANNEL_PROBLEMS,
            reason=f"slack refused: {error}",
        )
        self.needed = needed  # the scope Slack names with missing_scope


def call(
    method: str, send: Callable[[], SlackResponse], *, applied_maybe: bool
) -> Mapping[str, Any]:
    """One Web API call (`send`); failures become the port's DeliveryError subclasses."""
    try:
        response = send()
    except SlackApiError as exc:
        raise from_api_error(exc, applied_maybe=applied_maybe) from None
    except urllib.error.URLError as exc:
        refused = isinstance(exc.reason, ConnectionRefusedError)
        raise UnreachableError(
            f"{method}: {type(exc.reason).__name__}",
            applied_maybe=applied_maybe and not refused,
        ) from None
    except ConnectionRefusedError:
        raise UnreachableError(f"{method}: refused", applied_maybe=False) from None
    except (TimeoutError, OSError, http.client.HTTPException) as exc:
        raise UnreachableError(
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
        return RateLimitedError(_retry_after(headers))
    data = getattr(response, "data", None)
    error = str(data.get("error") or "") if isinstance(data, Mapping) else ""
    if status >= 500 or not error:
        return UnreachableError(f"HTTP {status} {error}".strip(), applied_maybe=applied_maybe)
    if error == "ratelimited":
        return RateLimitedError(_retry_after(headers))
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
