"""An undo in words: why a request cannot be undone, the clicker's confirmation, and the reply
in the old request's thread that names the attach request putting its ENIs back.

Pre-flight refusals of the undo's ENIs (no longer Available, in an open request) are worded by
`refusals.preflight_refusal`, like any attach's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.requests.models import DetachRequest
from bot.requests.undo import UndoRefusal, UndoRefused
from bot.slack.blocks import kit, words
from bot.slack.blocks.kit import Message
from bot.slack.blocks.text import channel, code, request_ref, who

__all__ = [
    "UNDO_REFUSAL_WORDS",
    "checking_undo",
    "undo_accepted",
    "undo_refused",
    "undo_thread_reply",
]

# Why a request cannot be undone, and what to do instead; {rid} is the request, {state} its.
UNDO_REFUSAL_WORDS: Mapping[UndoRefusal, str] = {
    UndoRefusal.NOT_FOUND: "There is no request {rid}.",
    UndoRefusal.NOT_ALLOWED: "Only the requester of {rid} or an approver can undo it.",
    UndoRefusal.NOT_A_DETACH: (
        "Request {rid} attaches ENIs; only a detach request can be undone. To move an ENI "
        "off again, ask with `/eni detach`."
    ),
    UndoRefusal.NOT_FINISHED: (
        "Request {rid} is {state}; only a detach request that finished (Available or Failed) "
        "can be undone. Follow it with `/eni status {id}`."
    ),
    UndoRefusal.NOTHING_DETACHED: (
        "Request {rid} detached no ENI ({state}), so there is nothing to put back."
    ),
}


def checking_undo(request_id: int) -> Message:
    """The immediate answer to `/eni reattach` while its ENIs are checked with ECS."""
    return kit.note(
        f":mag: Checking the ENIs request *{request_ref(request_id)}* detached, to put them back…"
    )


def undo_refused(refused: UndoRefused) -> Message:
    """The undo was refused before any ENI was looked at."""
    state = words.label(refused.status) if refused.status is not None else "unknown"
    rid = f"*{request_ref(refused.request_id)}*"
    text = UNDO_REFUSAL_WORDS[refused.refusal].format(rid=rid, state=state, id=refused.request_id)
    return kit.note(f":no_entry: {text}", kit.context("Nothing was stored."))


def undo_accepted(request: DetachRequest) -> Message:
    """The clicker's confirmation: the new request, what it puts back, where approvers decide."""
    count = len(request.targets)
    what = (
        f"{code(request.target.eni_id)} back to {code(request.target.instance_id)}"
        if count == 1
        else f"its {count} ENIs back to the instances they were detached from"
    )
    return kit.note(
        f":leftwards_arrow_with_hook: Request *{request_ref(request.id)}* undoes "
        f"*{request_ref(request.undo_of or 0)}*: it attaches {what}. It is waiting for approval; "
        f"its card is being posted in {channel(request.channel_id)}.",
        kit.context(
            "You asked for it, so another approver must approve it. Follow it with "
            f"`/eni status {request.id}`; withdraw it with `/eni cancel {request.id}`."
        ),
    )


def undo_thread_reply(payload: Mapping[str, Any]) -> Message:
    """The old request's thread: who asked to undo it, and the request that does."""
    new_id = int(payload.get("undo_by") or 0)
    count = int(payload.get("enis") or 0)
    enis = "its ENI back where it was" if count == 1 else f"its {count} ENIs back where they were"
    return kit.note(
        f":leftwards_arrow_with_hook: Undo asked by {who(str(payload.get('actor') or ''))}: "
        f"attach request *{request_ref(new_id)}* puts {enis} detached from; it waits for "
        f"approval like any request (`/eni status {new_id}`)."
    )
