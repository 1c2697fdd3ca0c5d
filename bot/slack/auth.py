"""Who may approve and who may request: Slack user IDs plus the members of Slack user groups.

Decided at click time from settings and Slack, never from the payload. Group members come from
`usergroups.users.list` and are cached briefly (Tier 2 method). Workspaces on the free plan (or
an app without `usergroups:read`) get `plan_upgrade_required` / `missing_scope`: the groups then
count for nothing, the plain user IDs still work, and this is logged once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)

GROUP_CACHE_SECONDS = 60.0
# After a transient failure (rate limit, network), ask again this soon.
GROUP_RETRY_SECONDS = 5.0
# Answers that mean "user groups will never work for this app here": fall back to the IDs.
_UNSUPPORTED = frozenset(
    {"plan_upgrade_required", "missing_scope", "not_allowed_token_type", "paid_teams_only"}
)


@dataclass
class _Cached:
    members: frozenset[str]
    until: float


class SlackIdSet:
    """A set of people named by user IDs (`U…`, `W…`) and user group IDs (`S…`)."""

    def __init__(
        self,
        ids: Iterable[str],
        client: WebClient,
        *,
        name: str,
        ttl: float = GROUP_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        ids = list(ids)
        self.name = name
        self.users = frozenset(i for i in ids if not i.startswith("S"))
        self.groups = tuple(i for i in ids if i.startswith("S"))
        self._client = client
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, _Cached] = {}
        self._groups_unsupported = False

    def __repr__(self) -> str:
        return f"SlackIdSet({self.name}: {len(self.users)} users, {len(self.groups)} groups)"

    @property
    def empty(self) -> bool:
        """True when no user or group was named."""
        return not self.users and not self.groups

    def contains(self, user_id: str) -> bool:
        """Whether `user_id` is named directly or is in one of the groups (checked in order)."""
        if user_id in self.users:
            return True
        return any(user_id in self._group_members(group) for group in self.groups)

    def members(self) -> frozenset[str]:
        """Every user ID the set resolves to now."""
        resolved = set(self.users)
        for group in self.groups:
            resolved |= self._group_members(group)
        return frozenset(resolved)

    def _group_members(self, group: str) -> frozenset[str]:
        now = self._clock()
        with self._lock:
            if self._groups_unsupported:
                return frozenset()
            cached = self._cache.get(group)
            if cached is not None and cached.until > now:
                return cached.members
        members, ttl = self._fetch(group, cached)
        with self._lock:
            self._cache[group] = _Cached(members, now + ttl)
        return members

    def _fetch(self, group: str, stale: _Cached | None) -> tuple[frozenset[str], float]:
        try:
            response = self._client.usergroups_users_list(usergroup=group)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            if error in _UNSUPPORTED:
                with self._lock:
                    first = not self._groups_unsupported
                    self._groups_unsupported = True
                if first:
                    log.warning(
                        "user groups unavailable (%s); %s are the listed user IDs only",
                        error,
                        self.name,
                    )
                return frozenset(), self._ttl
            log.warning("usergroups.users.list failed for %s: %s", group, error or "error")
        except SlackClientError as exc:
            log.warning("usergroups.users.list failed for %s: %s", group, type(exc).__name__)
        else:
            users = response.get("users")
            members = frozenset(str(u) for u in users) if isinstance(users, list) else frozenset()
            return members, self._ttl
        # Transient: keep what we knew (fail closed when we knew nothing) and ask again soon.
        return (stale.members if stale else frozenset()), GROUP_RETRY_SECONDS


@dataclass(frozen=True)
class People:
    """The two sets the bot's rules use."""

    approvers: SlackIdSet
    requesters: SlackIdSet

    def is_approver(self, user_id: str) -> bool:
        """May approve, reject, cancel others' requests and retry stuck ones."""
        return self.approvers.contains(user_id)

    def may_request(self, user_id: str) -> bool:
        """ENIBOT_REQUESTERS empty means everyone in the workspace."""
        return self.requesters.empty or self.requesters.contains(user_id)


def people_from(
    approvers: Iterable[str],
    requesters: Iterable[str],
    client: WebClient,
    *,
    ttl: float = GROUP_CACHE_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> People:
    """Both sets, sharing one client."""
    return People(
        approvers=SlackIdSet(approvers, client, name="approvers", ttl=ttl, clock=clock),
        requesters=SlackIdSet(requesters, client, name="requesters", ttl=ttl, clock=clock),
    )
