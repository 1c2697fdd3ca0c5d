"""Words for the requester when a request's approval card can never be posted.

The relay renders this when it delivers a `requester_notice` outbox row. `CHANNEL_PROBLEMS`
are the answers to chat.postMessage this notice explains (the notifier and the relay's error
sorting treat them as conclusive).
"""

from __future__ import annotations

from bot.requests.models import DetachRequest
from bot.slack.blocks import kit
from bot.slack.blocks.kit import Message
from bot.slack.blocks.text import code, is_channel

__all__ = ["CHANNEL_PROBLEMS", "card_undeliverable"]

INVITE = "`/invite @eni-bot`"

# Slack's answers to chat.postMessage meaning "this conversation will not take the bot's posts".
CHANNEL_PROBLEMS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "cannot_dm_bot",
        "messages_tab_disabled",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "team_access_not_granted",
    }
)
_NOT_A_MEMBER = frozenset({"channel_not_found", "not_in_channel"})
_DM_REFUSALS = frozenset({"cannot_dm_bot", "messages_tab_disabled"})


def card_undeliverable(request: DetachRequest, problem: str, *, cancelled: bool) -> Message:
    """Why the card is not in the channel, what became of the request, and how to ask again."""
    channel = request.channel_id
    why, fix = _why_and_fix(problem, channel)
    what = f"request *#{request.id}* to detach {code(request.target.eni_id)}"
    if cancelled:
        outcome = (
            f"so {what} was cancelled. Nothing was changed, and the ENI is free for a new request."
        )
    else:
        outcome = f"and {what} goes on without it: follow it with `/eni status {request.id}`."
    text = (
        f":warning: I cannot post the approval message in {_where(channel)}: {why}, {outcome}\n"
        f"{fix}"
    )
    fallback = f"Request #{request.id} could not be posted in {_where(channel)}"
    fallback += " and was cancelled" if cancelled else ""
    return kit.message(fallback, [kit.section(text)])


def _why_and_fix(problem: str, channel: str) -> tuple[str, str]:
    ask_here = f"Ask in a channel I am in (invite me to one with {INVITE}), or in a DM with me."
    if channel[:1] == "D" and problem in _NOT_A_MEMBER | _DM_REFUSALS:
        return "I am not part of that conversation", ask_here
    if problem in _DM_REFUSALS:
        return "Slack does not let me write there", ask_here
    if problem in _NOT_A_MEMBER:
        return (
            "it is a private channel I am not a member of (or it no longer exists)",
            f"Invite me there with {INVITE} and run `/eni detach` again, or ask in a channel "
            "I am in.",
        )
    if problem == "is_archived":
        return (
            "the channel is archived",
            f"Ask in a channel that is in use (invite me with {INVITE} if I am not in it).",
        )
    if problem.startswith("restricted_action") or problem == "team_access_not_granted":
        return (
            f"the channel's settings do not let me post there ({code(problem)})",
            "Ask in another channel, or ask a workspace admin to let the app post there.",
        )
    return (
        f"Slack refused the message ({code(problem or 'unknown')})",
        "Ask in another channel, and tell whoever runs the bot.",
    )


def _where(channel: str) -> str:
    if is_channel(channel):
        return f"<#{channel}>"
    return "the direct message you asked in" if channel[:1] == "D" else code(channel)
