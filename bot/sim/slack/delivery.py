"""One delivery to the bot: how it goes, what the sender remembers of it, how its answer reads.

Shared by `SlackSender` (signed HTTP) and `SocketModeSender` (envelopes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from bot.sim.slack.signing import Forgery, SignedRequest


@dataclass(frozen=True)
class Delivery:
    """How one request is delivered: Slack's retry headers, a forged signature, a fixed time."""

    retry_num: int | None = None
    retry_reason: str | None = None
    forgery: Forgery | None = None
    timestamp: int | None = None


ON_TIME = Delivery()


@dataclass(frozen=True)
class Sent:
    """What the sender last sent: the payload before encoding and the URLs it handed over."""

    payload: Mapping[str, Any]
    request: SignedRequest
    response_url: str | None = None
    trigger_id: str | None = None


def json_answer(response: httpx.Response) -> dict[str, Any]:
    """The JSON object an app answered with; {} for an empty or non-JSON body (plain ack)."""
    try:
        answer = response.json() if response.content else {}
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}
