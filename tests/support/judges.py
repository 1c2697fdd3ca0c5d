"""Judges for domain tests that call `decisions.approve` / `reject` without a Slack surface.

The real one is `bot.requests.governing.PolicyJudge` (the approval policy at the click); these
stand for "whoever the test names", with today's self-approval ban, as a plain ID list would.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.policy import ClickCheck, ClickRefusal
from bot.requests.models import DetachRequest


class IdJudge:
    """Counts a click from anyone `is_approver` accepts; never the requester's own approval."""

    def __init__(self, is_approver: Callable[[str], bool]) -> None:
        self._is_approver = is_approver

    def approval(self, request: DetachRequest, user_id: str) -> ClickCheck:
        """The requester may not approve; an approver's click counts."""
        if user_id == request.requester_id:
            return ClickCheck(False, ClickRefusal.OWN_REQUEST)
        return self.rejection(request, user_id)

    def rejection(self, request: DetachRequest, user_id: str) -> ClickCheck:
        """An approver's click counts."""
        if self._is_approver(user_id):
            return ClickCheck(True)
        return ClickCheck(False, ClickRefusal.NOT_APPROVER)


def anyone() -> IdJudge:
    """Every click counts (but the requester's own approval)."""
    return IdJudge(lambda _user: True)


def by_ids(is_approver: Callable[[str], bool]) -> IdJudge:
    """Clicks count from whoever `is_approver` names now."""
    return IdJudge(is_approver)
