"""The Slack half of pre-flight: who may ask, and links to the cards of requests in the way.

The rules and the lookups are the domain's (`bot.requests.preflight`); what needs Slack is
here: the requester check (user groups are Slack's) before anything else is asked, and
`chat.getPermalink` for a refusal that points at an open request's card.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackClientError

from bot.policy import Refused as PolicyRefused
from bot.requests import use_cases
from bot.requests.commands import DetachCommand
from bot.requests.models import DetachRequest
from bot.requests.preflight import OpenRequestRef, Refused
from bot.requests.rules import Problem
from bot.runtime import Runtime
from bot.slack.auth import People

__all__ = ["MAX_LINKS", "card_links", "permalink", "request_detach"]

log = logging.getLogger(__name__)

# Cards linked in one refusal at most: each link is a Slack call, made before the answer.
MAX_LINKS = 5


def request_detach(
    runtime: Runtime, people: People, command: DetachCommand, *, user_id: str, channel_id: str
) -> DetachRequest | Refused | PolicyRefused:
    """Refuse someone who may not request before ECS is asked; else the domain's use case
    (`request_attach` for an attach command)."""
    if not people.may_request(user_id):
        return Refused(Problem.NOT_A_REQUESTER, command)
    use_case = (
        use_cases.request_attach if command.operation == "attach" else use_cases.request_detach
    )
    return use_case(
        runtime.sessions,
        runtime.ecs,
        command,
        requester_id=user_id,
        channel_id=channel_id,
        allowed_regions=runtime.settings.allowed_regions,
        policy=runtime.policy,
        approval=runtime.approval_policy(),
        clock=runtime.clock,
    )


def card_links(runtime: Runtime, refused: Refused) -> dict[int, str]:
    """Links to the cards of the open requests a refusal names, by request ID."""
    refs: dict[int, OpenRequestRef] = {}
    for ref in [refused.existing, *(p.existing for p in refused.problems)]:
        if ref is not None and ref.card_ts and len(refs) < MAX_LINKS:
            refs.setdefault(ref.id, ref)
    links = {rid: permalink(runtime, ref) for rid, ref in refs.items()}
    return {rid: link for rid, link in links.items() if link is not None}


def permalink(runtime: Runtime, ref: OpenRequestRef) -> str | None:
    """A link to the request's card (None when the card is not posted or Slack says no)."""
    if not ref.card_ts:
        return None
    try:
        response = runtime.slack.chat_getPermalink(channel=ref.channel_id, message_ts=ref.card_ts)
    except SlackClientError as exc:
        log.info("chat.getPermalink failed for request %s: %s", ref.id, type(exc).__name__)
        return None
    link = response.get("permalink")
    return str(link) if isinstance(link, str) and link.startswith("https://") else None
