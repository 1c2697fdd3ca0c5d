"""The approval policy applied to requests: which rule governs one, and whose click counts.

The rules themselves are pure and live in `bot.policy` (`evaluate`, `may_count`); this module
feeds them a request's facts (region, operation, and per ENI its tags, VPC, vSwitch and
instance, as pre-flight read them) and keeps what the request stores of its rule:

- at submission, `govern` evaluates the policy over the new request's ENIs: `Refused` (deny, no
  rule, a freeze without approvers: nothing is stored) or `Governed`, whose `snapshot` is stored
  on the request with the rule's name (`DetachRequest.rule_name`, `.rule`);
- at a click, a `Judge` (built before the transaction, with the user groups Slack resolved)
  says whether someone's click counts now: an approver of the governing rule, or of the freezes
  in force at the click, and not the requester unless the rule allows self-approval. The quorum
  recount asks the same judge about every earlier approval.

A request stored before the policy existed has no rule name: it is judged under the rule the
policy in force gives its ENIs now.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.policy import (
    ApprovalPolicy,
    ClickCheck,
    ClickRefusal,
    Governed,
    Refused,
    Requirement,
    TargetFacts,
    evaluate,
    may_count,
    rule_for,
)
from bot.requests.models import DetachRequest
from bot.requests.schemas import NewRequest

__all__ = [
    "GroupsOf",
    "Judge",
    "PolicyJudge",
    "auto_approver",
    "facts_of",
    "facts_of_new",
    "govern",
    "policy_groups",
    "requirement",
    "snapshot",
]

# The user groups (S…) a user is in, among those the policy names; resolved before any
# transaction, so no Slack call runs under the database's lock.
GroupsOf = Callable[[str], Collection[str]]

# The actor an auto-approval is recorded under: "policy:<rule name>".
AUTO_APPROVER_PREFIX = "policy:"


def auto_approver(rule_name: str) -> str:
    """The audit actor of an approval the rule itself gave (auto_approve)."""
    return f"{AUTO_APPROVER_PREFIX}{rule_name}"[:64]


def _facts(
    eni_id: str, region: str, instance_id: str | None, eni_snapshot: Mapping[str, Any]
) -> TargetFacts:
    tags = eni_snapshot.get("tags")
    vpc, vswitch = eni_snapshot.get("vpc_id"), eni_snapshot.get("vswitch_id")
    return TargetFacts(
        eni_id=eni_id,
        region=region,
        tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else {},
        vpc_id=str(vpc) if vpc else None,
        vswitch_id=str(vswitch) if vswitch else None,
        instance_id=instance_id or None,
    )


def facts_of_new(new: NewRequest) -> list[TargetFacts]:
    """What the policy matches on, for each ENI of a request about to be stored."""
    return [_facts(t.eni_id, new.region, t.instance_id, t.eni_snapshot) for t in new.targets]


def facts_of(request: DetachRequest) -> list[TargetFacts]:
    """The same facts, read back from a stored request (pre-flight's snapshot of each ENI)."""
    return [
        _facts(t.eni_id, t.region, t.instance_id, t.eni_snapshot or {}) for t in request.targets
    ]


def govern(approval: ApprovalPolicy, new: NewRequest, *, now: datetime) -> Governed | Refused:
    """The submission-time decision for `new` under the policy in force at `now`."""
    return evaluate(approval, facts_of_new(new), new.operation, now)


def snapshot(governed: Governed) -> dict[str, Any]:
    """What the request stores of its governing rule: what it asked at submission."""
    return {
        "number": governed.rule_number,
        "approvers": list(governed.approvers),
        "approvals": governed.approvals,
        "auto_approve": governed.auto_approve,
        "allow_self_approval": governed.allow_self_approval,
        "freezes": list(governed.freezes),
    }


def requirement(request: DetachRequest) -> Requirement | None:
    """What the card and `/eni status` say the request needs (None: stored before policies)."""
    if request.rule_name is None:
        return None
    rule = request.rule or {}
    approvers = rule.get("approvers")
    freezes = rule.get("freezes")
    return Requirement(
        rule=request.rule_name,
        approvals=int(rule.get("approvals") or request.approvals_needed),
        approvers=tuple(str(a) for a in approvers) if isinstance(approvers, list) else (),
        auto_approve=bool(rule.get("auto_approve")),
        freezes=tuple(str(f) for f in freezes) if isinstance(freezes, list) else (),
    )


def policy_groups(approval: ApprovalPolicy) -> tuple[str, ...]:
    """Every user group the policy names as approvers (to resolve before a click is judged)."""
    named = [a for rule in approval.rules for a in rule.approvers]
    named += [a for freeze in approval.freezes for a in freeze.approvers]
    return tuple(dict.fromkeys(a for a in named if a.startswith("S")))


class Judge(Protocol):
    """Whether a person's click on a request counts, at the time the judge was made for."""

    def approval(self, request: DetachRequest, user_id: str) -> ClickCheck:
        """An approval: an approver now, and not the requester unless the rule allows it."""
        ...

    def rejection(self, request: DetachRequest, user_id: str) -> ClickCheck:
        """A rejection: an approver now (the requester may reject their own request)."""
        ...


@dataclass(frozen=True)
class PolicyJudge:
    """The policy's judge: `may_count` at `now`, with groups as Slack resolved them."""

    policy: ApprovalPolicy
    groups_of: GroupsOf
    now: datetime

    def approval(self, request: DetachRequest, user_id: str) -> ClickCheck:
        """See `Judge.approval`."""
        return self._check(request, user_id, request.requester_id)

    def rejection(self, request: DetachRequest, user_id: str) -> ClickCheck:
        """See `Judge.rejection`."""
        # The self-approval ban is about approving: judged as if someone else had asked.
        return self._check(request, user_id, requester_id="")

    def _check(self, request: DetachRequest, user_id: str, requester_id: str) -> ClickCheck:
        facts = facts_of(request)
        name = request.rule_name or _rule_now(self.policy, facts, request.operation)
        if name is None:
            return ClickCheck(counts=False, refusal=ClickRefusal.RULE_GONE)
        return may_count(
            self.policy,
            rule_name=name,
            targets=facts,
            operation=request.operation,
            user_id=user_id,
            user_groups=self.groups_of(user_id),
            requester_id=requester_id,
            now=self.now,
        )


def _rule_now(policy: ApprovalPolicy, facts: Sequence[TargetFacts], operation: str) -> str | None:
    """The rule the policy gives these ENIs now, as at submission (None: denied or uncovered)."""
    own = [rule_for(policy, target, operation) for target in facts]
    if not own or any(rule is None or rule.is_deny for rule in own):
        return None
    return min((rule for rule in own if rule is not None), key=lambda r: r.number).name
