"""Thread replies under the approval card: one per state change, in words from `words`.

Rendered from the outbox row's payload (`status`, `actor`, `detail`, as the service wrote them)
and the request's stored state, so a reply sent again after a crash comes out the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.requests.models import DetachRequest
from bot.requests.states import Status, TargetStatus
from bot.slack.blocks import bulk, kit, undo, words
from bot.slack.blocks.kit import Message
from bot.slack.blocks.text import who
from bot.slack.ids import ActionId

__all__ = ["thread_reply"]


def thread_reply(request: DetachRequest, payload: Mapping[str, Any]) -> Message:
    """One reply naming the state change the outbox row announces."""
    detail: Mapping[str, Any] = payload.get("detail") or {}
    actor = who(str(payload.get("actor") or ""))
    if payload.get("eni_list"):
        return bulk.eni_list_reply(request)
    if payload.get("undo_by"):
        return undo.undo_thread_reply(payload)
    target = payload.get("target")
    if isinstance(target, Mapping):
        return bulk.target_reply(request, target)
    status = Status(str(payload.get("status") or request.status))
    if detail.get("ecs_trouble"):
        return kit.note(words.ecs_trouble_reply(detail))
    if detail.get("partial"):
        return kit.note(words.approval_reply(actor, detail))
    if len(request.targets) > 1 and status is Status.DETACHING:
        return kit.note(bulk.started_reply(request))
    if len(request.targets) > 1 and status in (Status.DETACHED, Status.FAILED):
        return _with_undo(request, bulk.finishing_reply(request))
    text = words.reply(request, status, actor, detail)
    if status is Status.STUCK:
        rid = str(request.id)
        retry = kit.button(
            f"Re-initiate {request.operation}", ActionId.RETRY.value, rid, style="primary"
        )
        return kit.note(text, kit.actions(f"retry:{rid}", retry))
    if status in (Status.DETACHED, Status.FAILED):
        return _with_undo(request, kit.note(text))
    return kit.note(text)


def _with_undo(request: DetachRequest, reply: Message) -> Message:
    """A detach that finished with at least one ENI detached can be undone with one click."""
    if request.operation != "detach" or not any(
        t.state is TargetStatus.DONE for t in request.targets
    ):
        return reply
    rid = str(request.id)
    undo = kit.button("Re-attach (undo)", ActionId.REATTACH.value, rid)
    return kit.message(reply.text, [*reply.blocks, kit.actions(f"reattach:{rid}", undo)])
