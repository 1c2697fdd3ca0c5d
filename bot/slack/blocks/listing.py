"""`/eni list`: requests newest first, one line each (App Home shows the same lines)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.requests.commands import ListScope
from bot.requests.models import DetachRequest
from bot.slack.blocks import kit, words
from bot.slack.blocks.kit import Message
from bot.slack.blocks.text import code, mention, request_ref, when

__all__ = ["SCOPE_TITLES", "list_message", "request_line"]

SCOPE_TITLES: Mapping[ListScope, str] = {
    ListScope.MINE: "Your requests",
    ListScope.PENDING: "Requests waiting for approval",
    ListScope.OPEN: "Open requests",
}


def request_line(request: DetachRequest) -> str:
    """One request in a list."""
    enis = (
        f"{len(request.targets)} ENIs" if len(request.targets) > 1 else code(request.target.eni_id)
    )
    return (
        f"*{request_ref(request.id)}* · {enis} · {code(request.region)} · "
        f"{words.label(request.state)} · {mention(request.requester_id)} · "
        f"{when(request.created_at)}"
    )


def list_message(scope: ListScope, requests: Sequence[DetachRequest], limit: int) -> Message:
    """Newest first, one line each; says so when the list was cut at `limit`."""
    title = SCOPE_TITLES[scope]
    if not requests:
        return kit.note(
            f"*{title}:* none.", kit.context("`/eni list mine|pending|open` to switch.")
        )
    more = " (newest shown)" if len(requests) >= limit else ""
    blocks = [kit.section(f"*{title}*{more}"), *kit.sections(request_line(r) for r in requests)]
    blocks.append(kit.context(f"{code('/eni status <id>')} shows a request's history."))
    return kit.message(f"{title}: {len(requests)}", blocks)
