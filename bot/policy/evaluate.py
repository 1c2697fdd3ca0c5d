"""Which rule governs a request, and whether a click counts: pure functions of plain values.

At submission, `evaluate` (CONTRACT.md "Approval policy (0.2)"):

1. Each ENI's rule is the first rule, in file order, that matches it (a deny rule included).
2. The request is refused if any ENI's rule is a deny rule (quoting each such rule's name and
   message), or if any ENI matches no rule ("no policy rule covers …", naming those ENIs).
3. Otherwise the earliest in the file of the ENIs' rules governs it.
4. Freezes in force at `now` that match the request (a freeze matches a request when its `match`
   covers *any* of its ENIs: one frozen ENI freezes the change) then apply: one without
   approvers refuses the request; otherwise the freezes' approvers take the place of the rule's,
   the rule's number of approvals still applies, and auto-approval is off. Where several freezes
   are in force, a click must satisfy each of them, so their approvers are the IDs every one of
   them names (none in common refuses the request, as a freeze without approvers does).

At the click, `may_count` looks again at the freezes in force at the click's time, so a freeze
that started after submission is honoured, and one that ended no longer holds the request.

Texts here are plain words with raw Slack IDs; rendering (mentions, escaping the file's messages,
which are user text) is the Slack layer's job. `Requirement.text` takes the mention function.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.policy.models import ApprovalPolicy, Freeze, Match, Operation, Rule

__all__ = [
    "ClickCheck",
    "ClickRefusal",
    "Decision",
    "Governed",
    "Refusal",
    "RefusalKind",
    "Refused",
    "Requirement",
    "TargetFacts",
    "evaluate",
    "freezes_in_force",
    "matches",
    "may_count",
    "rule_for",
]


@dataclass(frozen=True)
class TargetFacts:
    """What pre-flight knows of one ENI; `instance_id` is the instance detached from/attached to."""

    eni_id: str
    region: str
    tags: Mapping[str, str] = field(default_factory=dict)
    vpc_id: str | None = None
    vswitch_id: str | None = None
    instance_id: str | None = None


class RefusalKind(StrEnum):
    """Why a request is refused at submission."""

    DENY = "deny"
    NO_RULE = "no_rule"
    FREEZE = "freeze"


@dataclass(frozen=True)
class Refusal:
    """One reason to refuse: the rule or freeze (`name`), its message, and the ENIs concerned."""

    kind: RefusalKind
    name: str | None
    message: str
    eni_ids: tuple[str, ...]
    until: datetime | None = None  # for a freeze: when it ends

    def text(self) -> str:
        """Plain words for the ephemeral refusal."""
        enis = ", ".join(self.eni_ids)
        if self.kind is RefusalKind.NO_RULE:
            return f"No policy rule covers {enis}; ask whoever keeps the policy file to add one."
        if self.kind is RefusalKind.DENY:
            return f'Rule "{self.name}" refuses {enis}: {self.message}'
        until = f" until {self.until.isoformat(timespec='minutes')}" if self.until else ""
        return f'Freeze "{self.name}" is in force{until}: {self.message}'


@dataclass(frozen=True)
class Refused:
    """The request may not be submitted; nothing is to be stored."""

    refusals: tuple[Refusal, ...]

    def text(self) -> str:
        """Every reason, one line each."""
        return "\n".join(refusal.text() for refusal in self.refusals)


@dataclass(frozen=True)
class Requirement:
    """What the approval message says the request needs: 'Rule prod: 2 approvals from @leads'."""

    rule: str
    approvals: int
    approvers: tuple[str, ...]
    auto_approve: bool
    freezes: tuple[str, ...] = ()

    def text(self, mention: Callable[[str], str] = str) -> str:
        """The sentence, with each approver ID passed through `mention` (Slack's, or none)."""
        if self.auto_approve:
            return f"Rule {self.rule}: approved automatically"
        people = [mention(approver) for approver in self.approvers]
        if not people:
            # Only the default rule with ENIBOT_APPROVERS empty (a worker-only deployment).
            who = "nobody (no approvers are configured)"
        elif len(people) == 1:
            who = people[0]
        else:
            who = ", ".join(people[:-1]) + " or " + people[-1]
        noun = "approval" if self.approvals == 1 else "approvals"
        during = ""
        if self.freezes:
            during = f" (freeze {', '.join(self.freezes)} in force)"
        return f"Rule {self.rule}: {self.approvals} {noun} from {who}{during}"


@dataclass(frozen=True)
class Governed:
    """The request may be submitted under `rule`; what it needs, with any freeze applied."""

    rule: str
    rule_number: int
    approvals: int
    approvers: tuple[str, ...]
    auto_approve: bool
    allow_self_approval: bool
    freezes: tuple[str, ...] = ()  # freezes in force whose approvers replace the rule's
    rule_by_eni: tuple[tuple[str, str], ...] = ()  # (ENI ID, its own rule's name), in order

    def describe(self) -> Requirement:
        """The parts of the approval message's policy line."""
        return Requirement(
            rule=self.rule,
            approvals=self.approvals,
            approvers=self.approvers,
            auto_approve=self.auto_approve,
            freezes=self.freezes,
        )


Decision = Governed | Refused


def matches(match: Match, target: TargetFacts, operation: Operation | str) -> bool:
    """Whether `match` covers this ENI for this operation: every given field must match."""
    if match.operations is not None and operation not in match.operations:
        return False
    if match.regions is not None and target.region not in match.regions:
        return False
    # A fact pre-flight does not have (None) matches no list that names values.
    for wanted, fact in (
        (match.vpcs, target.vpc_id),
        (match.vswitches, target.vswitch_id),
        (match.instances, target.instance_id),
    ):
        if wanted is not None and fact not in wanted:
            return False
    return all(target.tags.get(key) in values for key, values in (match.tags or {}).items())


def rule_for(
    policy: ApprovalPolicy, target: TargetFacts, operation: Operation | str
) -> Rule | None:
    """This ENI's rule: the first in file order that matches it, or None."""
    return next((rule for rule in policy.rules if matches(rule.match, target, operation)), None)


def freezes_in_force(
    policy: ApprovalPolicy,
    targets: Sequence[TargetFacts],
    operation: Operation | str,
    now: datetime,
) -> tuple[Freeze, ...]:
    """The freezes in force at `now` whose match covers any of the ENIs, in file order."""
    _require_aware(now)
    return tuple(
        freeze
        for freeze in policy.freezes
        if freeze.in_force(now) and any(matches(freeze.match, t, operation) for t in targets)
    )


def evaluate(
    policy: ApprovalPolicy,
    targets: Sequence[TargetFacts],
    operation: Operation | str,
    now: datetime,
) -> Decision:
    """The submission-time decision for a request of these ENIs (see the module docstring)."""
    if not targets:
        raise ValueError("a request has at least one ENI")
    _require_aware(now)
    operation = Operation(operation)
    own = [(target, rule_for(policy, target, operation)) for target in targets]
    refusals = [
        Refusal(
            kind=RefusalKind.DENY,
            name=rule.name,
            message=rule.deny or "",
            eni_ids=tuple(t.eni_id for t, r in own if r is rule),
        )
        for rule in policy.rules
        if rule.is_deny and any(r is rule for _, r in own)
    ]
    uncovered = tuple(target.eni_id for target, rule in own if rule is None)
    if uncovered:
        refusals.append(Refusal(RefusalKind.NO_RULE, None, "", uncovered))
    if refusals:
        return Refused(tuple(refusals))
    governing = min((rule for _, rule in own if rule is not None), key=lambda r: r.number)
    rule_by_eni = tuple((t.eni_id, r.name) for t, r in own if r is not None)
    frozen = freezes_in_force(policy, targets, operation, now)
    if not frozen:
        return Governed(
            rule=governing.name,
            rule_number=governing.number,
            approvals=governing.approvals,
            approvers=governing.approvers,
            auto_approve=governing.auto_approve,
            allow_self_approval=governing.allow_self_approval,
            rule_by_eni=rule_by_eni,
        )
    approvers = _shared_approvers(frozen)
    if not approvers:
        return Refused(tuple(_freeze_refusals(frozen, targets, operation)))
    return Governed(
        rule=governing.name,
        rule_number=governing.number,
        approvals=governing.approvals,
        approvers=approvers,
        auto_approve=False,
        allow_self_approval=governing.allow_self_approval,
        freezes=tuple(freeze.name for freeze in frozen),
        rule_by_eni=rule_by_eni,
    )


def _shared_approvers(frozen: Sequence[Freeze]) -> tuple[str, ...]:
    """The approver IDs every freeze names, in the first one's order."""
    first, *others = frozen
    return tuple(a for a in first.approvers if all(a in other.approvers for other in others))


def _freeze_refusals(
    frozen: Sequence[Freeze], targets: Sequence[TargetFacts], operation: Operation | str
) -> list[Refusal]:
    def enis(freeze: Freeze) -> tuple[str, ...]:
        return tuple(t.eni_id for t in targets if matches(freeze.match, t, operation))

    closed = [freeze for freeze in frozen if not freeze.approvers]
    if closed:
        return [
            Refusal(
                kind=RefusalKind.FREEZE,
                name=freeze.name,
                message=freeze.message or "no changes until it ends.",
                eni_ids=enis(freeze),
                until=freeze.end,
            )
            for freeze in closed
        ]
    # Every freeze has approvers but no one is an approver of all of them.
    names = ", ".join(freeze.name for freeze in frozen)
    return [
        Refusal(
            kind=RefusalKind.FREEZE,
            name=names,
            message="no approver is named in every one of these freezes, so none could approve.",
            eni_ids=tuple(dict.fromkeys(eni for freeze in frozen for eni in enis(freeze))),
            until=min(freeze.end for freeze in frozen),
        )
    ]


class ClickRefusal(StrEnum):
    """Why a click does not count."""

    RULE_GONE = "rule_gone"  # the governing rule is no longer in the policy (file changed)
    OWN_REQUEST = "own_request"
    FROZEN = "frozen"  # a freeze without (shared) approvers is in force at the click
    NOT_APPROVER = "not_approver"


@dataclass(frozen=True)
class ClickCheck:
    """Whether one click counts, and if not why; `approvers` are who could approve then."""

    counts: bool
    refusal: ClickRefusal | None = None
    approvers: tuple[str, ...] = ()
    freezes: tuple[str, ...] = ()  # the freezes in force at the click that decided it


def may_count(
    policy: ApprovalPolicy,
    *,
    rule_name: str,
    targets: Sequence[TargetFacts],
    operation: Operation | str,
    user_id: str,
    user_groups: Collection[str] = (),
    requester_id: str,
    now: datetime,
) -> ClickCheck:
    """Whether a click by `user_id` (member of `user_groups`) counts at `now`.

    `rule_name` is the governing rule stored at submission; its approvers and
    `allow_self_approval` are read from the policy in force now. A matching freeze in force at
    the click replaces the rule's approvers, whatever was in force at submission.
    """
    _require_aware(now)
    operation = Operation(operation)
    rule = policy.rule_named(rule_name)
    if rule is None or rule.is_deny:
        return ClickCheck(counts=False, refusal=ClickRefusal.RULE_GONE)
    frozen = freezes_in_force(policy, targets, operation, now)
    approvers = _shared_approvers(frozen) if frozen else rule.approvers
    names = tuple(freeze.name for freeze in frozen)
    if user_id == requester_id and not rule.allow_self_approval:
        return ClickCheck(False, ClickRefusal.OWN_REQUEST, approvers, names)
    if frozen and not approvers:
        return ClickCheck(False, ClickRefusal.FROZEN, (), names)
    if user_id in approvers or any(group in approvers for group in user_groups):
        return ClickCheck(True, None, approvers, names)
    return ClickCheck(False, ClickRefusal.NOT_APPROVER, approvers, names)


def _require_aware(now: datetime) -> None:
    # Freezes are instants with offsets; a naive `now` cannot be compared with them.
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
