"""App Home: pending requests with Approve/Reject (approvers), then the user's own requests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.requests.models import DetachRequest
from bot.slack.blocks import kit
from bot.slack.blocks.card import decide_buttons
from bot.slack.blocks.kit import Block, Message
from bot.slack.blocks.listing import request_line
from bot.slack.blocks.text import code, escape_inline

__all__ = ["HOME_MINE_LIMIT", "HOME_PENDING_LIMIT", "home_view"]

HOME_PENDING_LIMIT = 20
HOME_MINE_LIMIT = 10


def home_view(
    *,
    user_id: str,
    is_approver: bool,
    pending: Sequence[DetachRequest],
    mine: Sequence[DetachRequest],
    notice: Message | None = None,
) -> dict[str, Any]:
    """The Home tab; `notice` (what a click on it achieved) shows at the top."""
    blocks: list[Block] = [kit.header("ENI detach requests")]
    if notice is not None:
        blocks += notice.blocks[:2]
        blocks.append(kit.divider())
    if is_approver:
        blocks.append(kit.section("*Waiting for your decision*"))
        shown = list(pending)[:HOME_PENDING_LIMIT]
        if not shown:
            blocks.append(kit.context("Nothing is waiting for approval."))
        for request in shown:
            blocks.append(
                kit.section(
                    f"{request_line(request)}\n"
                    f"Detach from {_instances(request)} · "
                    f"*Reason:* {escape_inline(request.reason, limit=300)}"
                )
            )
            if request.requester_id == user_id:
                blocks.append(kit.context("Your own request: another approver must decide."))
            else:
                blocks.append(decide_buttons(request.id, block_id=f"home-decide:{request.id}"))
        if len(pending) > HOME_PENDING_LIMIT:
            blocks.append(kit.context("More are waiting: `/eni list pending` shows them all."))
        blocks.append(kit.divider())
    blocks.append(kit.section("*Your recent requests*"))
    recent = list(mine)[:HOME_MINE_LIMIT]
    if recent:
        blocks += kit.sections(request_line(r) for r in recent)
    else:
        blocks.append(kit.context("None yet. Type `/eni detach` in a channel to ask for one."))
    blocks.append(kit.context("`/eni help` shows every command."))
    return {"type": "home", "blocks": kit.view_blocks(blocks)}


def _instances(request: DetachRequest) -> str:
    found = list(dict.fromkeys(t.instance_id for t in request.targets))
    more = f" and {len(found) - 2} more" if len(found) > 2 else ""
    return ", ".join(code(i) for i in found[:2]) + more
