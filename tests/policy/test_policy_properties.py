"""Properties of evaluation over any policy and any ENIs drawn from a small world.

The world is small on purpose (two regions, two values per tag, two VPCs …) so that rules,
freezes and ENIs overlap often and every branch is reached.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.policy import (
    ApprovalPolicy,
    ClickRefusal,
    Freeze,
    Governed,
    Match,
    Operation,
    RefusalKind,
    Refused,
    Rule,
    TargetFacts,
    evaluate,
    freezes_in_force,
    matches,
    may_count,
    rule_for,
)

from support.policy import HOUR, NOW

REGIONS = ("cn-hangzhou", "cn-shanghai")
TAGS = {"env": ("prod", "dev"), "team": ("web", "data")}
VPCS = ("vpc-one", "vpc-two")
VSWITCHES = ("vsw-one", "vsw-two")
INSTANCES = ("i-one", "i-two")
PEOPLE = ("U1", "U2", "U3", "S0A", "S0B")


def _field(*choices: object) -> st.SearchStrategy[object]:
    # Mostly absent, so that rules overlap and requests are often covered.
    return st.sampled_from((None, None, None, *choices))


@st.composite
def matches_(draw: st.DrawFn) -> Match:
    return Match(
        operations=draw(_field((Operation.DETACH,), (Operation.ATTACH,))),  # type: ignore[arg-type]
        regions=draw(_field(REGIONS[:1], REGIONS[1:])),  # type: ignore[arg-type]
        tags=draw(  # type: ignore[arg-type]
            _field(
                {"env": ("prod",)},
                {"env": ("prod", "dev")},
                {"team": ("data",)},
                {"env": ("prod",), "team": ("web",)},
            )
        ),
        vpcs=draw(_field(VPCS[:1])),  # type: ignore[arg-type]
        vswitches=draw(_field(VSWITCHES[:1])),  # type: ignore[arg-type]
        instances=draw(_field(INSTANCES[:1])),  # type: ignore[arg-type]
    )


def _target_pool() -> list[TargetFacts]:
    """Every ENI of the world, its ID given when drawn."""
    return [
        TargetFacts(
            eni_id="",
            region=region,
            tags={k: v for k, v in (("env", env), ("team", team)) if v is not None},
            vpc_id=vpc,
            vswitch_id=vswitch,
            instance_id=instance,
        )
        for region, env, team, vpc, vswitch, instance in product(
            REGIONS,
            (None, *TAGS["env"]),
            (None, *TAGS["team"]),
            (None, *VPCS),
            (None, *VSWITCHES),
            (None, *INSTANCES),
        )
    ]


people = st.lists(st.sampled_from(PEOPLE), unique=True, max_size=3).map(tuple)


@st.composite
def policies(draw: st.DrawFn) -> ApprovalPolicy:
    count = draw(st.integers(1, 5))
    rules = []
    for number in range(1, count + 1):
        if draw(st.booleans()) and draw(st.booleans()):
            rules.append(Rule(number, f"r{number}", draw(matches_()), deny=f"no {number}"))
        else:
            rules.append(
                Rule(
                    number,
                    f"r{number}",
                    draw(matches_()),
                    approvers=draw(people),
                    approvals=draw(st.integers(1, 3)),
                    auto_approve=draw(st.booleans()),
                    allow_self_approval=draw(st.booleans()),
                )
            )
    if draw(st.booleans()):
        # Half the policies end in a catch-all, as real ones do; the others leave gaps.
        number = len(rules) + 1
        rules.append(Rule(number, f"r{number}", Match(), approvers=draw(people)))
    freezes = [
        Freeze(
            name=f"f{index}",
            start=NOW + draw(st.integers(-3, 3)) * HOUR,
            end=NOW + draw(st.integers(4, 6)) * HOUR,
            match=draw(matches_()),
            approvers=draw(people),
        )
        for index in range(draw(st.integers(0, 2)))
    ]
    return ApprovalPolicy(rules=tuple(rules), freezes=tuple(freezes))


@st.composite
def targets_(draw: st.DrawFn) -> list[TargetFacts]:
    drawn = draw(st.lists(st.sampled_from(_target_pool()), min_size=1, max_size=4))
    return [replace(target, eni_id=f"eni-{index}") for index, target in enumerate(drawn)]


operations = st.sampled_from(tuple(Operation))
instants = st.integers(-4, 8).map(lambda hours: NOW + hours * HOUR + timedelta(minutes=30))


@given(policies(), targets_(), operations)
def test_each_enis_rule_is_the_first_that_matches_it(
    policy: ApprovalPolicy, targets: list[TargetFacts], operation: Operation
) -> None:
    for target in targets:
        found = rule_for(policy, target, operation)
        hits = [rule for rule in policy.rules if matches(rule.match, target, operation)]
        assert found == (hits[0] if hits else None)


@given(policies(), targets_(), operations, instants)
@settings(max_examples=400)
def test_the_decision_follows_the_contract(
    policy: ApprovalPolicy, targets: list[TargetFacts], operation: Operation, now: datetime
) -> None:
    own = {t.eni_id: rule_for(policy, t, operation) for t in targets}
    decision = evaluate(policy, targets, operation, now)
    denied = {eni for eni, rule in own.items() if rule is not None and rule.is_deny}
    uncovered = {eni for eni, rule in own.items() if rule is None}
    if denied or uncovered:
        # Deny on any ENI, or any ENI without a rule, refuses; each such ENI is named.
        assert isinstance(decision, Refused)
        assert {r.kind for r in decision.refusals} <= {RefusalKind.DENY, RefusalKind.NO_RULE}
        named_denied = {
            e for r in decision.refusals if r.kind is RefusalKind.DENY for e in r.eni_ids
        }
        named_uncovered = {
            e for r in decision.refusals if r.kind is RefusalKind.NO_RULE for e in r.eni_ids
        }
        assert (named_denied, named_uncovered) == (denied, uncovered)
        for refusal in decision.refusals:
            if refusal.kind is RefusalKind.DENY:
                rule = policy.rule_named(refusal.name or "")
                assert rule is not None and refusal.message == rule.deny
        return
    # Governed by the first rule in file order that matches any ENI.
    first = next(
        rule for rule in policy.rules if any(matches(rule.match, t, operation) for t in targets)
    )
    frozen = freezes_in_force(policy, targets, operation, now)
    if any(not freeze.approvers for freeze in frozen):
        assert isinstance(decision, Refused)
        assert {r.kind for r in decision.refusals} == {RefusalKind.FREEZE}
        return
    if not frozen:
        assert isinstance(decision, Governed)
        assert (decision.rule, decision.approvers, decision.auto_approve) == (
            first.name,
            first.approvers,
            first.auto_approve,
        )
        assert decision.approvals == first.approvals
        return
    if isinstance(decision, Refused):
        # Only when no approver is named in every freeze in force.
        assert not set.intersection(*(set(f.approvers) for f in frozen))
        return
    # During a freeze: its approvers, the rule's count, never automatic.
    assert decision.rule == first.name
    assert decision.approvals == first.approvals
    assert decision.auto_approve is False
    assert decision.approvers
    assert all(set(decision.approvers) <= set(freeze.approvers) for freeze in frozen)
    assert decision.freezes == tuple(freeze.name for freeze in frozen)


@given(policies(), targets_(), operations, instants, st.randoms(use_true_random=False))
def test_the_order_of_the_enis_does_not_change_the_outcome(
    policy: ApprovalPolicy,
    targets: list[TargetFacts],
    operation: Operation,
    now: datetime,
    random: object,
) -> None:
    shuffled = list(targets)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    one, other = (evaluate(policy, t, operation, now) for t in (targets, shuffled))
    assert type(one) is type(other)
    if isinstance(one, Governed) and isinstance(other, Governed):
        assert (one.rule, one.approvers, one.approvals, one.auto_approve, one.freezes) == (
            other.rule,
            other.approvers,
            other.approvals,
            other.auto_approve,
            other.freezes,
        )
    elif isinstance(one, Refused) and isinstance(other, Refused):
        assert {(r.kind, r.name, frozenset(r.eni_ids)) for r in one.refusals} == {
            (r.kind, r.name, frozenset(r.eni_ids)) for r in other.refusals
        }


@given(
    policies(),
    targets_(),
    operations,
    instants,
    instants,
    st.sampled_from(PEOPLE[:3]),
    st.lists(st.sampled_from(PEOPLE[3:]), unique=True),
    st.sampled_from(("U1", "U9")),
)
@settings(max_examples=400)
def test_a_click_counts_only_from_whoever_may_approve_at_the_click(
    policy: ApprovalPolicy,
    targets: list[TargetFacts],
    operation: Operation,
    submitted: datetime,
    clicked: datetime,
    user: str,
    groups: list[str],
    requester: str,
) -> None:
    decision = evaluate(policy, targets, operation, submitted)
    if not isinstance(decision, Governed):
        return
    rule = policy.rule_named(decision.rule)
    assert rule is not None
    check = may_count(
        policy,
        rule_name=decision.rule,
        targets=targets,
        operation=operation,
        user_id=user,
        user_groups=groups,
        requester_id=requester,
        now=clicked,
    )
    # Whatever was in force at submission, the freezes at the click decide.
    frozen = freezes_in_force(policy, targets, operation, clicked)
    if frozen:
        allowed = set.intersection(*(set(f.approvers) for f in frozen))
    else:
        allowed = set(rule.approvers)
    is_approver = user in allowed or bool(allowed & set(groups))
    own = user == requester and not rule.allow_self_approval
    assert check.counts == (is_approver and not own)
    assert check.freezes == tuple(f.name for f in frozen)
    if not check.counts:
        assert check.refusal in (
            ClickRefusal.OWN_REQUEST,
            ClickRefusal.FROZEN,
            ClickRefusal.NOT_APPROVER,
        )
        if frozen and not allowed and not own:
            assert check.refusal is ClickRefusal.FROZEN


@given(
    policies(),
    targets_(),
    operations,
    st.integers(1, 5),
    st.lists(st.sampled_from(PEOPLE), unique=True),
    st.sampled_from(PEOPLE),
)
def test_a_freeze_starting_between_submission_and_click_decides_the_click(
    policy: ApprovalPolicy,
    targets: list[TargetFacts],
    operation: Operation,
    gap_hours: int,
    freeze_approvers: list[str],
    user: str,
) -> None:
    submitted = NOW - 10 * HOUR  # before every drawn freeze
    late = Freeze(
        name="late",
        start=submitted + timedelta(minutes=1),
        end=submitted + gap_hours * HOUR + HOUR,
        approvers=tuple(freeze_approvers),
    )
    with_late = ApprovalPolicy(rules=policy.rules, freezes=(late,))
    decision = evaluate(with_late, targets, operation, submitted)
    if not isinstance(decision, Governed):
        return
    assert decision.freezes == ()
    check = may_count(
        with_late,
        rule_name=decision.rule,
        targets=targets,
        operation=operation,
        user_id=user,
        requester_id="U0NOBODY",
        now=submitted + gap_hours * HOUR,
    )
    assert check.freezes == ("late",)
    assert check.counts == (user in freeze_approvers)
    assert check.refusal is (
        None
        if user in freeze_approvers
        else ClickRefusal.FROZEN
        if not freeze_approvers
        else ClickRefusal.NOT_APPROVER
    )
