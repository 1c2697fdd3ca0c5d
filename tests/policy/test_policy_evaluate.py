"""The pure evaluator, case by case: matching, the governing rule, refusals, freezes, clicks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.policy import (
    ClickCheck,
    ClickRefusal,
    Governed,
    Match,
    Operation,
    Refusal,
    RefusalKind,
    Refused,
    Requirement,
    evaluate,
    freezes_in_force,
    matches,
    may_count,
    rule_for,
)

from support.policy import HOUR, NOW, eni, freeze, match, policy, rule

DETACH = Operation.DETACH
ATTACH = Operation.ATTACH

# -- matching: every given field must match; an absent one matches everything --------------


def test_an_empty_match_covers_every_eni_and_operation() -> None:
    bare = eni(tags={}, vpc=None, vswitch=None, instance=None)
    assert matches(Match(), bare, DETACH)
    assert matches(Match(), eni(tags={"env": "prod"}), ATTACH)


@pytest.mark.parametrize(
    ("fields", "covered", "uncovered"),
    [
        ({"operations": ["detach"]}, (eni(), DETACH), (eni(), ATTACH)),
        ({"operations": ["attach"]}, (eni(), ATTACH), (eni(), DETACH)),
        (
            {"regions": ["cn-shanghai", "cn-hangzhou"]},
            (eni(region="cn-hangzhou"), DETACH),
            (eni(region="us-west-1"), DETACH),
        ),
        ({"vpcs": ["vpc-one"]}, (eni(vpc="vpc-one"), DETACH), (eni(vpc="vpc-two"), DETACH)),
        ({"vpcs": ["vpc-one"]}, (eni(vpc="vpc-one"), DETACH), (eni(vpc=None), DETACH)),
        (
            {"vswitches": ["vsw-two", "vsw-one"]},
            (eni(vswitch="vsw-one"), DETACH),
            (eni(vswitch="vsw-three"), DETACH),
        ),
        ({"vswitches": ["vsw-one"]}, (eni(vswitch="vsw-one"), DETACH), (eni(vswitch=None), DETACH)),
        (
            {"instances": ["i-one"]},
            (eni(instance="i-one"), ATTACH),
            (eni(instance="i-two"), ATTACH),
        ),
        ({"instances": ["i-one"]}, (eni(instance="i-one"), DETACH), (eni(instance=None), DETACH)),
        (
            {"tags": {"env": "prod"}},
            (eni(tags={"env": "prod", "team": "web"}), DETACH),
            (eni(tags={"env": "dev"}), DETACH),
        ),
        ({"tags": {"env": "prod"}}, (eni(tags={"env": "prod"}), DETACH), (eni(tags={}), DETACH)),
        (
            {"tags": {"env": ["prod", "staging"]}},
            (eni(tags={"env": "staging"}), DETACH),
            (eni(tags={"env": "dev"}), DETACH),
        ),
        (
            {"tags": {"env": "prod", "team": "web"}},
            (eni(tags={"env": "prod", "team": "web"}), DETACH),
            (eni(tags={"env": "prod", "team": "data"}), DETACH),
        ),
        (
            {"tags": {"env": "prod"}},
            (eni(tags={"env": "prod"}), DETACH),
            (eni(tags={"env": "Prod"}), DETACH),  # ECS tag values are case-sensitive
        ),
        (
            {"operations": ["detach"], "regions": ["cn-hangzhou"], "tags": {"env": "prod"}},
            (eni(tags={"env": "prod"}), DETACH),
            (eni(region="cn-shanghai", tags={"env": "prod"}), DETACH),
        ),
    ],
)
def test_each_given_field_must_match(
    fields: dict[str, object],
    covered: tuple[object, Operation],
    uncovered: tuple[object, Operation],
) -> None:
    m = match(**fields)
    target, operation = covered
    assert matches(m, target, operation)  # type: ignore[arg-type]
    target, operation = uncovered
    assert not matches(m, target, operation)  # type: ignore[arg-type]


def test_operation_may_be_given_as_text() -> None:
    m = match(operations=["attach"])
    assert matches(m, eni(), "attach")
    assert not matches(m, eni(), "detach")


# -- each ENI's rule: the first in file order that matches it ------------------------------


def test_the_first_matching_rule_wins_whatever_comes_after() -> None:
    p = policy(
        rule("prod", match=match(tags={"env": "prod"}), approvers=("U1",)),
        rule("hangzhou", match=match(regions=["cn-hangzhou"]), approvers=("U2",)),
        rule("all", approvers=("U3",)),
    )
    assert rule_for(p, eni(tags={"env": "prod"}), DETACH) == p.rules[0]
    assert rule_for(p, eni(tags={"env": "dev"}), DETACH) == p.rules[1]
    assert rule_for(p, eni(region="cn-shanghai"), DETACH) == p.rules[2]


def test_a_deny_rule_is_a_rule_like_the_others_its_place_matters() -> None:
    deny_first = policy(
        rule("no-db", match=match(tags={"team": "data"}), deny="ask #dba"),
        rule("all", approvers=("U1",)),
    )
    deny_after = policy(
        rule("all", approvers=("U1",)),
        rule("no-db", match=match(tags={"team": "data"}), deny="ask #dba"),
    )
    db = eni(tags={"team": "data"})
    assert isinstance(evaluate(deny_first, [db], DETACH, NOW), Refused)
    decision = evaluate(deny_after, [db], DETACH, NOW)
    assert isinstance(decision, Governed) and decision.rule == "all"


def test_no_matching_rule_gives_none() -> None:
    p = policy(rule("prod", match=match(tags={"env": "prod"}), approvers=("U1",)))
    assert rule_for(p, eni(tags={}), DETACH) is None


# -- one ENI -------------------------------------------------------------------------------


def test_one_eni_is_governed_by_its_rule_with_everything_the_card_needs() -> None:
    p = policy(
        rule("dev", match=match(tags={"env": "dev"}), auto_approve=True),
        rule(
            "prod",
            match=match(tags={"env": "prod"}),
            approvers=("S0LEADS",),
            approvals=2,
            allow_self_approval=True,
        ),
    )
    decision = evaluate(p, [eni("eni-p", tags={"env": "prod"})], DETACH, NOW)
    assert decision == Governed(
        rule="prod",
        rule_number=2,
        approvals=2,
        approvers=("S0LEADS",),
        auto_approve=False,
        allow_self_approval=True,
        freezes=(),
        rule_by_eni=(("eni-p", "prod"),),
    )
    assert decision.describe() == Requirement(
        rule="prod", approvals=2, approvers=("S0LEADS",), auto_approve=False
    )
    auto = evaluate(p, [eni("eni-d", tags={"env": "dev"})], ATTACH, NOW)
    assert isinstance(auto, Governed) and auto.auto_approve and auto.rule == "dev"


def test_one_eni_under_a_deny_rule_is_refused_quoting_name_and_message() -> None:
    p = policy(
        rule("k8s", match=match(tags={"cluster": "prod"}), deny="Drain the node instead."),
        rule("all", approvers=("U1",)),
    )
    decision = evaluate(p, [eni("eni-k", tags={"cluster": "prod"})], DETACH, NOW)
    assert decision == Refused(
        (Refusal(RefusalKind.DENY, "k8s", "Drain the node instead.", ("eni-k",)),)
    )
    assert decision.text() == 'Rule "k8s" refuses eni-k: Drain the node instead.'


def test_one_eni_no_rule_covers_is_refused() -> None:
    p = policy(rule("prod", match=match(tags={"env": "prod"}), approvers=("U1",)))
    decision = evaluate(p, [eni("eni-x")], DETACH, NOW)
    assert decision == Refused((Refusal(RefusalKind.NO_RULE, None, "", ("eni-x",)),))
    assert decision.text().startswith("No policy rule covers eni-x")


# -- several ENIs --------------------------------------------------------------------------

BULK = policy(
    rule("db", match=match(tags={"team": "data"}), deny="Data ENIs: ask #dba."),
    rule("prod", match=match(tags={"env": "prod"}), approvers=("U1", "U2"), approvals=2),
    rule("k8s", match=match(tags={"team": "k8s"}), deny="Drain the node."),
    rule("dev", match=match(tags={"env": "dev"}), auto_approve=True),
    rule("hangzhou", match=match(regions=["cn-hangzhou"]), approvers=("U3",)),
)


def test_the_earliest_in_the_file_of_the_enis_rules_governs() -> None:
    targets = [
        eni("eni-1", tags={"env": "dev"}),
        eni("eni-2", tags={"env": "prod"}),
        eni("eni-3", tags={}),
    ]
    decision = evaluate(BULK, targets, DETACH, NOW)
    assert isinstance(decision, Governed)
    assert (decision.rule, decision.rule_number, decision.approvals) == ("prod", 2, 2)
    assert decision.auto_approve is False
    assert decision.rule_by_eni == (("eni-1", "dev"), ("eni-2", "prod"), ("eni-3", "hangzhou"))


def test_an_auto_approve_rule_governs_only_when_it_is_the_earliest() -> None:
    targets = [eni("eni-1", tags={"env": "dev"}), eni("eni-2", tags={})]
    decision = evaluate(BULK, targets, DETACH, NOW)
    assert isinstance(decision, Governed) and decision.rule == "dev" and decision.auto_approve


def test_any_eni_under_a_deny_rule_refuses_the_whole_request() -> None:
    targets = [
        eni("eni-1", tags={"env": "prod"}),
        eni("eni-2", tags={"team": "k8s"}),
        eni("eni-3", tags={"team": "data"}),
        eni("eni-4", tags={"team": "k8s"}),
    ]
    decision = evaluate(BULK, targets, DETACH, NOW)
    # Every deny rule hit, in file order, each with its own ENIs.
    assert decision == Refused(
        (
            Refusal(RefusalKind.DENY, "db", "Data ENIs: ask #dba.", ("eni-3",)),
            Refusal(RefusalKind.DENY, "k8s", "Drain the node.", ("eni-2", "eni-4")),
        )
    )
    assert decision.text().splitlines() == [
        'Rule "db" refuses eni-3: Data ENIs: ask #dba.',
        'Rule "k8s" refuses eni-2, eni-4: Drain the node.',
    ]


def test_any_eni_no_rule_covers_refuses_naming_only_those_enis() -> None:
    targets = [
        eni("eni-1", region="cn-shanghai"),
        eni("eni-2", tags={"env": "prod"}),
        eni("eni-3", region="us-west-1"),
    ]
    decision = evaluate(BULK, targets, DETACH, NOW)
    assert decision == Refused((Refusal(RefusalKind.NO_RULE, None, "", ("eni-1", "eni-3")),))
    assert "eni-1, eni-3" in decision.text()


def test_deny_and_no_rule_are_both_reported() -> None:
    targets = [eni("eni-1", tags={"team": "data"}), eni("eni-2", region="us-west-1")]
    decision = evaluate(BULK, targets, DETACH, NOW)
    assert isinstance(decision, Refused)
    assert [(r.kind, r.eni_ids) for r in decision.refusals] == [
        (RefusalKind.DENY, ("eni-1",)),
        (RefusalKind.NO_RULE, ("eni-2",)),
    ]


def test_the_operation_selects_rules() -> None:
    p = policy(
        rule("attach-free", match=match(operations=["attach"]), auto_approve=True),
        rule("all", approvers=("U1",)),
    )
    attach = evaluate(p, [eni()], ATTACH, NOW)
    detach = evaluate(p, [eni()], "detach", NOW)
    assert isinstance(attach, Governed) and attach.rule == "attach-free"
    assert isinstance(detach, Governed) and detach.rule == "all"


@pytest.mark.parametrize(
    ("targets", "operation", "now", "error"),
    [
        ([], DETACH, NOW, "at least one ENI"),
        ([eni()], "delete", NOW, "delete"),
        ([eni()], DETACH, datetime(2027, 3, 1, 12), "timezone-aware"),
        ([eni(tags={"team": "data"})], DETACH, datetime(2027, 3, 1), "timezone-aware"),
    ],
)
def test_programming_errors_are_refused_loudly(
    targets: list[object], operation: str, now: datetime, error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        evaluate(BULK, targets, operation, now)  # type: ignore[arg-type]


# -- freezes at submission -----------------------------------------------------------------

PROD = rule(
    "prod",
    match=match(tags={"env": "prod"}),
    approvers=("U1", "U2"),
    approvals=2,
    allow_self_approval=True,
)
DEV = rule("dev", match=match(tags={"env": "dev"}), auto_approve=True, approvers=("U9",))
ALL = rule("all", approvers=("U3",))


def test_a_freeze_without_approvers_refuses_quoting_its_name_and_message() -> None:
    f = freeze("year-end", approvers=(), message="Ask #change-board.", tags={"env": "prod"})
    p = policy(PROD, ALL, freezes=(f,))
    decision = evaluate(p, [eni("eni-p", tags={"env": "prod"})], DETACH, NOW)
    assert decision == Refused(
        (Refusal(RefusalKind.FREEZE, "year-end", "Ask #change-board.", ("eni-p",), f.end),)
    )
    assert decision.text() == (
        f'Freeze "year-end" is in force until {f.end.isoformat(timespec="minutes")}: '
        "Ask #change-board."
    )


def test_a_freeze_without_a_message_still_says_what_it_is() -> None:
    p = policy(ALL, freezes=(freeze("stop"),))
    decision = evaluate(p, [eni()], DETACH, NOW)
    assert isinstance(decision, Refused)
    assert decision.text().startswith('Freeze "stop" is in force until ')
    assert decision.text().endswith("no changes until it ends.")


def test_freeze_approvers_take_the_place_of_the_rules_the_count_stays_auto_is_off() -> None:
    f = freeze("year-end", approvers=("S0BOARD",), tags={"env": ["prod", "dev"]})
    p = policy(PROD, DEV, ALL, freezes=(f,))
    prod = evaluate(p, [eni(tags={"env": "prod"})], DETACH, NOW)
    assert prod == Governed(
        rule="prod",
        rule_number=1,
        approvals=2,
        approvers=("S0BOARD",),
        auto_approve=False,
        allow_self_approval=True,
        freezes=("year-end",),
        rule_by_eni=(("eni-a", "prod"),),
    )
    dev = evaluate(p, [eni(tags={"env": "dev"})], DETACH, NOW)
    assert isinstance(dev, Governed)
    assert (dev.auto_approve, dev.approvers, dev.approvals) == (False, ("S0BOARD",), 1)


def test_a_freeze_covers_a_request_when_it_covers_any_of_its_enis() -> None:
    f = freeze("prod-only", approvers=(), tags={"env": "prod"})
    p = policy(PROD, ALL, freezes=(f,))
    unfrozen = evaluate(p, [eni("eni-1")], DETACH, NOW)
    assert isinstance(unfrozen, Governed) and unfrozen.freezes == ()
    mixed = evaluate(p, [eni("eni-1"), eni("eni-2", tags={"env": "prod"})], DETACH, NOW)
    assert isinstance(mixed, Refused)
    assert mixed.refusals[0].eni_ids == ("eni-2",)


def test_a_freeze_applies_in_start_to_end_and_not_after() -> None:
    f = freeze("window", start=NOW, end=NOW + HOUR)
    p = policy(ALL, freezes=(f,))
    for at, frozen in [
        (NOW - timedelta(microseconds=1), False),
        (NOW, True),
        (NOW + HOUR - timedelta(microseconds=1), True),
        (NOW + HOUR, False),
    ]:
        assert isinstance(evaluate(p, [eni()], DETACH, at), Refused) is frozen, at


def test_freezes_compare_instants_across_offsets() -> None:
    plus8 = timezone(timedelta(hours=8))
    f = freeze(
        "cn",
        start=datetime(2027, 3, 1, 20, 0, tzinfo=plus8),  # 12:00 UTC, which is NOW
        end=datetime(2027, 3, 1, 21, 0, tzinfo=plus8),
    )
    assert freezes_in_force(policy(ALL, freezes=(f,)), [eni()], DETACH, NOW) == (f,)


def test_a_freeze_for_one_operation_leaves_the_other_alone() -> None:
    f = freeze("no-detach", operations=["detach"])
    p = policy(ALL, freezes=(f,))
    assert isinstance(evaluate(p, [eni()], DETACH, NOW), Refused)
    assert isinstance(evaluate(p, [eni()], ATTACH, NOW), Governed)


def test_rule_refusals_come_before_freezes() -> None:
    p = policy(
        rule("db", match=match(tags={"team": "data"}), deny="no."),
        ALL,
        freezes=(freeze("stop"),),
    )
    decision = evaluate(p, [eni(tags={"team": "data"})], DETACH, NOW)
    assert isinstance(decision, Refused)
    assert [r.kind for r in decision.refusals] == [RefusalKind.DENY]


def test_several_freezes_need_approvers_named_in_each() -> None:
    a = freeze("a", approvers=("S0BOARD", "U7", "U8"))
    b = freeze("b", approvers=("U8", "S0BOARD"))
    p = policy(ALL, freezes=(a, b))
    decision = evaluate(p, [eni()], DETACH, NOW)
    assert isinstance(decision, Governed)
    assert (decision.approvers, decision.freezes) == (("S0BOARD", "U8"), ("a", "b"))


def test_several_freezes_with_no_approver_in_common_refuse() -> None:
    p = policy(ALL, freezes=(freeze("a", approvers=("U7",)), freeze("b", approvers=("U8",))))
    decision = evaluate(p, [eni()], DETACH, NOW)
    assert isinstance(decision, Refused)
    (refusal,) = decision.refusals
    assert (refusal.kind, refusal.name) == (RefusalKind.FREEZE, "a, b")


def test_a_closed_freeze_among_others_refuses_naming_the_closed_one() -> None:
    p = policy(ALL, freezes=(freeze("open", approvers=("U7",)), freeze("closed")))
    decision = evaluate(p, [eni()], DETACH, NOW)
    assert isinstance(decision, Refused)
    assert [r.name for r in decision.refusals] == ["closed"]


# -- what the approval message says --------------------------------------------------------


@pytest.mark.parametrize(
    ("requirement", "text"),
    [
        (Requirement("prod", 2, ("S0LEADS",), False), "Rule prod: 2 approvals from @S0LEADS"),
        (Requirement("all", 1, ("U1", "U2"), False), "Rule all: 1 approval from @U1 or @U2"),
        (
            Requirement("all", 1, ("U1", "U2", "S3"), False),
            "Rule all: 1 approval from @U1, @U2 or @S3",
        ),
        (Requirement("dev", 1, (), True), "Rule dev: approved automatically"),
        (
            Requirement("default", 1, (), False),
            "Rule default: 1 approval from nobody (no approvers are configured)",
        ),
        (
            Requirement("prod", 2, ("S0B",), False, ("year-end",)),
            "Rule prod: 2 approvals from @S0B (freeze year-end in force)",
        ),
    ],
)
def test_the_requirement_reads_as_the_contract_example(requirement: Requirement, text: str) -> None:
    assert requirement.text(mention=lambda approver: f"@{approver}") == text


def test_the_requirement_shows_raw_ids_without_a_mention_function() -> None:
    assert (
        Requirement("prod", 2, ("S0LEADS",), False).text() == "Rule prod: 2 approvals from S0LEADS"
    )


# -- clicks --------------------------------------------------------------------------------


def click(
    p: object, user: str, *, groups: tuple[str, ...] = (), at: datetime = NOW, **kw: object
) -> ClickCheck:
    return may_count(
        p,  # type: ignore[arg-type]
        rule_name=str(kw.get("rule_name", "prod")),
        targets=[eni(tags={"env": "prod"})],
        operation=DETACH,
        user_id=user,
        user_groups=groups,
        requester_id=str(kw.get("requester", "U0REQ")),
        now=at,
    )


STRICT_PROD = rule(
    "prod", match=match(tags={"env": "prod"}), approvers=("U1", "S0LEADS"), approvals=2
)


def test_an_approver_of_the_governing_rule_counts_by_id_or_group() -> None:
    p = policy(STRICT_PROD, ALL)
    assert click(p, "U1") == ClickCheck(True, None, ("U1", "S0LEADS"), ())
    assert click(p, "U5", groups=("S0OTHER", "S0LEADS")).counts
    assert click(p, "U5", groups=("S0OTHER",)) == ClickCheck(
        False, ClickRefusal.NOT_APPROVER, ("U1", "S0LEADS"), ()
    )
    # An approver of another rule is not an approver of this one.
    assert click(p, "U3").refusal is ClickRefusal.NOT_APPROVER


def test_the_requester_counts_only_where_the_rule_allows_self_approval() -> None:
    strict = policy(STRICT_PROD, ALL)
    assert click(strict, "U1", requester="U1").refusal is ClickRefusal.OWN_REQUEST
    assert click(strict, "U5", groups=("S0LEADS",), requester="U5").refusal is (
        ClickRefusal.OWN_REQUEST
    )
    lenient = policy(PROD, ALL)
    assert click(lenient, "U1", requester="U1").counts
    # Allowed to approve one's own request still means being an approver.
    assert click(lenient, "U0REQ", requester="U0REQ").refusal is ClickRefusal.NOT_APPROVER


def test_a_rule_gone_from_the_policy_or_turned_deny_counts_nobody() -> None:
    p = policy(STRICT_PROD, ALL)
    assert click(p, "U1", rule_name="renamed") == ClickCheck(False, ClickRefusal.RULE_GONE)
    turned = policy(rule("prod", match=match(tags={"env": "prod"}), deny="no more"), ALL)
    assert click(turned, "U1").refusal is ClickRefusal.RULE_GONE


def test_at_the_click_a_freeze_in_force_replaces_the_rules_approvers() -> None:
    f = freeze("year-end", approvers=("S0BOARD",), tags={"env": "prod"})
    p = policy(STRICT_PROD, ALL, freezes=(f,))
    assert click(p, "U1") == ClickCheck(
        False, ClickRefusal.NOT_APPROVER, ("S0BOARD",), ("year-end",)
    )
    assert click(p, "U4", groups=("S0BOARD",)) == ClickCheck(
        True, None, ("S0BOARD",), ("year-end",)
    )
    # Before and after the window, the rule's approvers again.
    assert click(p, "U1", at=f.start - HOUR).counts
    assert click(p, "U1", at=f.end).counts
    assert not click(p, "U4", groups=("S0BOARD",), at=f.end).counts


def test_a_freeze_starting_between_submission_and_click_is_honoured_at_the_click() -> None:
    submitted = NOW
    f = freeze("late", start=NOW + HOUR, end=NOW + 3 * HOUR, approvers=("U7",))
    p = policy(STRICT_PROD, ALL, freezes=(f,))
    decision = evaluate(p, [eni(tags={"env": "prod"})], DETACH, submitted)
    assert isinstance(decision, Governed) and decision.freezes == ()
    later = NOW + 2 * HOUR
    assert click(p, "U1", at=later, rule_name=decision.rule).refusal is ClickRefusal.NOT_APPROVER
    assert click(p, "U7", at=later, rule_name=decision.rule).counts


def test_a_freeze_without_approvers_at_the_click_counts_nobody() -> None:
    f = freeze("stop", start=NOW + HOUR, end=NOW + 2 * HOUR, tags={"env": "prod"})
    p = policy(STRICT_PROD, ALL, freezes=(f,))
    assert click(p, "U1").counts
    assert click(p, "U1", at=NOW + HOUR) == ClickCheck(False, ClickRefusal.FROZEN, (), ("stop",))


def test_a_freeze_that_does_not_match_the_request_leaves_clicks_alone() -> None:
    f = freeze("dev-only", approvers=("U7",), tags={"env": "dev"})
    p = policy(STRICT_PROD, ALL, freezes=(f,))
    assert click(p, "U1").counts
    assert not click(p, "U7").counts


def test_a_naive_click_time_is_refused_loudly() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        click(policy(STRICT_PROD), "U1", at=datetime(2027, 3, 1))


def test_the_requester_ban_holds_during_a_freeze_too() -> None:
    f = freeze("year-end", approvers=("U7",))
    p = policy(STRICT_PROD, ALL, freezes=(f,))
    assert click(p, "U7", requester="U7").refusal is ClickRefusal.OWN_REQUEST
