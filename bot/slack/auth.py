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
# Members last read longer ago than this are not trusted through an outage: a person removed
# from the group during a long Slack outage must not keep approving (fail closed).
GROUP_STALE_SECONDS = 300.0
# Answers that mean "user groups will never work for this app here": fall back to the IDs.
_UNSUPPORTED = frozenset(
    {"plan_upgrade_required", "missing_scope", "not_allowed_token_type", "paid_teams_only"}
)


@dataclass
class _Cached:
    members: frozenset[str]
    until: float
    read_at: float  # when Slack last answered with these members


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

    def group_members(self, group: str) -> frozenset[str]:
        """The members of any user group (`S…`), through this set's client and cache."""
        return self._group_members(group)

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
        fetched = self._fetch(group)
        with self._lock:
            if fetched is not None:
                self._cache[group] = _Cached(fetched[0], now + fetched[1], now)
                return fetched[0]
            # Transient: keep what we knew while it is fresh enough, else fail closed; ask
            # again soon either way.
            trusted = cached is not None and now - cached.read_at < GROUP_STALE_SECONDS
            members = cached.members if cached is not None and trusted else frozenset()
            if cached is not None and not trusted and cached.members:
                log.warning(
                    "members of %s unreadable for %.0f s; %s count none of them until Slack "
                    "answers",
                    group,
                    now - cached.read_at,
                    self.name,
                )
            read_at = cached.read_at if cached is not None else now - GROUP_STALE_SECONDS
            self._cache[group] = _Cached(members, now + GROUP_RETRY_SECONDS, read_at)
            return members

    def _fetch(self, group: str) -> tuple[frozenset[str], float] | None:
        """The group's members and how long to trust them; None after a transient failure."""
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
        except (SlackClientError, OSError) as exc:  # OSError: URLError, timeouts, resets
            log.warning("usergroups.users.list failed for %s: %s", group, type(exc).__name__)
        else:
            users = response.get("users")
            members = frozenset(str(u) for u in users) if isinstance(users, list) else frozenset()
            return members, self._ttl
        return None


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

    def groups_of(self, groups: Iterable[str]) -> Callable[[str], frozenset[str]]:
        """Who is in which of `groups`, read now (cached as the approvers' groups are).

        The approval policy names groups per rule and freeze; a click is judged against the
        groups its clicker (and each earlier approver) is in, resolved once before the
        transaction. A group Slack cannot read counts for nobody (fail closed).
        """
        members = {group: self.approvers.group_members(group) for group in groups}

        def of(user_id: str) -> frozenset[str]:
            return frozenset(group for group, users in members.items() if user_id in users)

        return of


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
