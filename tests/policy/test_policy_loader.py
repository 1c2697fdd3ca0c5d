"""Reading a policy file: each kind of problem, naming rule or freeze, field and exact line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from textwrap import dedent

import pytest

from bot.policy import (
    DEFAULT_RULE_NAME,
    ApprovalPolicy,
    Match,
    Operation,
    PolicyError,
    PolicyProblem,
    Rule,
    default_policy,
    load_policy,
    parse_policy,
    summary,
)

SOURCE = "policy.yml"


def load(text: str, default_approvers: tuple[str, ...] = ("U0LEAD",)) -> ApprovalPolicy:
    return parse_policy(dedent(text), source=SOURCE, default_approvers=default_approvers)


def problems(text: str, default_approvers: tuple[str, ...] = ("U0LEAD",)) -> list[str]:
    """The problem lines of a file that must be refused."""
    with pytest.raises(PolicyError) as caught:
        load(text, default_approvers)
    lines = caught.value.lines()
    assert lines, "a PolicyError names at least one problem"
    return lines


# -- good files ----------------------------------------------------------------------------


def test_a_full_rule_and_freeze_load_with_every_field() -> None:
    policy = load(
        """\
        rules:
          - name: prod
            match:
              operations: [detach]
              regions: [cn-hangzhou, cn-shanghai]
              tags: {env: prod, tier: [web, api]}
              vpcs: [vpc-bp1q2w3e4r5t6y7u8i9o]
              vswitches: [vsw-bp1a2s3d4f5g6h7j8k9l]
              instances: [i-bp1a3f9k2m7x4q8w6e]
            approvers: [S0LEADS, U0ONE, W0TWO]
            approvals: 2
            auto_approve: false
            allow_self_approval: true
        freezes:
          - name: year-end
            start: 2027-12-20T00:00:00+08:00
            end: "2028-01-04T09:00:00Z"
            match: {regions: [cn-hangzhou]}
            approvers: [S0BOARD]
            message: Ask the change board.
        """
    )
    (rule,) = policy.rules
    assert rule == Rule(
        number=1,
        name="prod",
        match=Match(
            operations=(Operation.DETACH,),
            regions=("cn-hangzhou", "cn-shanghai"),
            tags={"env": ("prod",), "tier": ("web", "api")},
            vpcs=("vpc-bp1q2w3e4r5t6y7u8i9o",),
            vswitches=("vsw-bp1a2s3d4f5g6h7j8k9l",),
            instances=("i-bp1a3f9k2m7x4q8w6e",),
        ),
        approvers=("S0LEADS", "U0ONE", "W0TWO"),
        approvals=2,
        auto_approve=False,
        allow_self_approval=True,
    )
    (freeze,) = policy.freezes
    assert freeze.start == datetime(2027, 12, 20, tzinfo=timezone(timedelta(hours=8)))
    assert freeze.end == datetime(2028, 1, 4, 9, tzinfo=UTC)
    assert freeze.approvers == ("S0BOARD",)
    assert freeze.message == "Ask the change board."
    assert policy.source == SOURCE
    assert summary(policy) == "1 rule, 1 freeze"


def test_defaults_approvers_from_enibot_approvers_one_approval_nothing_automatic() -> None:
    policy = load(
        """\
        rules:
          - name: all
            match: {}
        """,
        default_approvers=("U0A", "S0B", "U0A"),
    )
    assert policy.rules == (
        Rule(number=1, name="all", match=Match(), approvers=("U0A", "S0B"), approvals=1),
    )
    assert policy.freezes == ()
    assert summary(policy) == "1 rule, 0 freezes"


def test_a_deny_rule_keeps_its_message_and_has_no_approvers() -> None:
    policy = load(
        """\
        rules:
          - name: db
            match: {tags: {team: data}}
            deny: "Database ENIs: ask #dba."
          - name: all
            match: {}
        """
    )
    deny, rest = policy.rules
    assert deny.is_deny and deny.deny == "Database ENIs: ask #dba." and deny.approvers == ()
    assert not rest.is_deny and rest.number == 2
    assert policy.rule_named("db") is deny
    assert policy.rule_named("gone") is None


def test_a_freeze_without_match_or_approvers_covers_everything_and_has_none() -> None:
    policy = load(
        """\
        rules: [{name: all, match: {}}]
        freezes:
          - {name: stop, start: 2027-01-01T00:00:00Z, end: 2027-01-02T00:00:00Z, approvers: []}
          - {name: stop2, start: 2027-01-01T00:00:00Z, end: 2027-01-02T00:00:00Z}
        """
    )
    assert [(f.match, f.approvers) for f in policy.freezes] == [(Match(), ()), (Match(), ())]


def test_default_policy_is_one_rule_over_everything() -> None:
    policy = default_policy(approvers=["U1", "S2"], approvals=2)
    assert policy == ApprovalPolicy(
        rules=(
            Rule(
                number=1,
                name=DEFAULT_RULE_NAME,
                match=Match(),
                approvers=("U1", "S2"),
                approvals=2,
            ),
        )
    )
    assert policy.source is None


def test_load_policy_reads_the_file_and_names_it(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text("rules: [{name: all, match: {}, approvers: [U1]}]\n")
    assert load_policy(path).source == str(path)
    path.write_text("rules: [{name: all, match: {}}]\nextra: 1\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(path, default_approvers=["U1"])
    assert caught.value.lines() == [
        f"{path}:2: extra: unknown field; expected one of rules, freezes"
    ]


# -- the file as a whole -------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "~\n"])
def test_an_empty_file_is_one_problem(text: str) -> None:
    assert problems(text) == [
        "policy.yml: is empty; it needs a `rules` list (see the example policy file)"
    ]


@pytest.mark.parametrize(
    ("text", "kind"),
    [("- name: a\n", "a list"), ("\n\nrules\n", "text"), ("42\n", "a int")],
)
def test_a_file_that_is_not_a_mapping_is_one_problem(text: str, kind: str) -> None:
    (line,) = problems(text)
    assert line.startswith("policy.yml:") and line.endswith(
        f"must be a mapping with `rules` (and optionally `freezes`), not {kind}"
    )


def test_yaml_syntax_errors_are_one_line_with_the_line() -> None:
    (line,) = problems("rules:\n  - name: a\n    match: {\n  - name: b\n")
    assert line.startswith("policy.yml:4: not valid YAML: ")
    assert "\n" not in line
    (tab,) = problems("rules:\n\t- name: a\n")
    assert tab.startswith("policy.yml:2: not valid YAML: ")


def test_two_documents_are_refused() -> None:
    (line,) = problems("rules: []\n---\nrules: []\n")
    assert line.startswith("policy.yml:2: not valid YAML: ")
    assert "single document" in line


def test_unreadable_and_undecodable_files_are_one_problem(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as missing:
        load_policy(tmp_path / "nope.yml")
    assert missing.value.lines() == [
        f"{tmp_path / 'nope.yml'}: cannot be read (No such file or directory)"
    ]
    with pytest.raises(PolicyError) as directory:
        load_policy(tmp_path)
    assert directory.value.lines() == [f"{tmp_path}: cannot be read (Is a directory)"]
    binary = tmp_path / "latin1.yml"
    binary.write_bytes(b"rules: [{name: caf\xe9, match: {}}]\n")
    with pytest.raises(PolicyError) as undecodable:
        load_policy(binary)
    assert undecodable.value.lines() == [f"{binary}: is not UTF-8 text"]


def test_no_rules_is_a_problem() -> None:
    assert problems("rules: []\n") == [
        "policy.yml:1: rules: has no rules, so every request would be refused; add at least one"
    ]
    assert problems("freezes: []\n") == ["policy.yml:1: rules: is required"]
    assert problems("rules:\n") == ["policy.yml:1: rules: is empty; give a value"]


def test_an_unknown_top_level_key_is_named_with_what_is_allowed() -> None:
    assert problems("rule:\n  - {name: a, match: {}}\n") == [
        "policy.yml:1: rules: is required",
        "policy.yml:1: rule: unknown field; expected one of rules, freezes",
    ]


def test_a_key_given_twice_is_refused_at_its_second_line() -> None:
    text = """\
        rules:
          - name: prod
            match: {tags: {env: prod}}
            approvers: [U1]
            match: {}
        """
    assert problems(text) == [
        'policy.yml:5: rule 1 "prod": match: is given again; only the last would count'
    ]


# -- rules ---------------------------------------------------------------------------------

RULE_WITH = """\
    rules:
      - name: ok
        match: {{regions: [cn-hangzhou]}}
      - name: broken
        match:
          tags: {{env: prod}}
        {field}
    """


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("aprovers: [U1]", "aprovers: unknown field; expected one of name, match, approvers,"),
        ("aprovers:", "aprovers: unknown field; expected one of name, match, approvers,"),
        ("approvals: 0", "approvals: should be greater than or equal to 1 (got 0)"),
        ("approvals: two", "approvals: should be a whole number (got 'two')"),
        ("approvals: 1.5", "approvals: should be a whole number (got 1.5)"),
        ("approvals: '2'", "approvals: should be a whole number (got '2')"),
        ("approvals:", "approvals: is empty; give a value or leave it out"),
        ("auto_approve: 'yes'", "auto_approve: should be true or false (got 'yes')"),
        ("auto_approve: 1", "auto_approve: should be true or false (got 1)"),
        ("allow_self_approval: maybe", "allow_self_approval: should be true or false"),
        ("approvers: [alice]", "approvers: 'alice' is not a Slack user ID (U…/W…) or user group"),
        ("approvers: [u123]", "approvers: 'u123' is not a Slack user ID"),
        ("approvers: U1", "approvers: should be a list (got 'U1')"),
        ("approvers:", "approvers: is empty; give a value or leave it out"),
        ("deny:", "deny: is empty; give a value or leave it out"),
        ("deny: ''", "deny: must not be empty"),
        ("deny: no", "deny: should be text (YAML read false as a bool; put the text in quotes)"),
        (
            "deny: nope\n        approvers: [U1]\n        auto_approve: true",
            "deny: a deny rule only refuses: remove approvers, auto_approve, or remove deny",
        ),
        (
            "deny: nope\n        approvals: 2",
            "deny: a deny rule only refuses: remove approvals, or remove deny",
        ),
        (
            "deny: nope\n        allow_self_approval: false",
            "deny: a deny rule only refuses: remove allow_self_approval, or remove deny",
        ),
    ],
)
def test_a_bad_rule_field_names_rule_number_name_field_and_line(field: str, message: str) -> None:
    (line,) = problems(RULE_WITH.format(field=field))
    assert line.startswith('policy.yml:7: rule 2 "broken": '), line
    assert line.removeprefix('policy.yml:7: rule 2 "broken": ').startswith(message), line


@pytest.mark.parametrize(
    ("match", "line_no", "message"),
    [
        ("region: [cn-hangzhou]", 6, "match.region: unknown field; expected one of operations,"),
        ("tag: {env: prod}", 6, "match.tag: unknown field"),
        ("operations: [delete]", 6, "match.operations: should be 'detach' or 'attach' (got"),
        ("operations: detach", 6, "match.operations: should be a list (got 'detach')"),
        ("operations: []", 6, "match.operations: must list at least one value (leave the field"),
        ("operations:", 6, "match.operations: is empty; give a value or leave it out"),
        ("regions: [Hangzhou]", 6, "match.regions: 'Hangzhou' is not a region ID"),
        (
            "regions:\n                - cn-hangzhou\n                - mars",
            8,
            "match.regions: 'mars'",
        ),
        ("tags: {}", 6, "match.tags: must name at least one tag (leave the field out"),
        ("tags: {env: true}", 6, "match.tags.env: true is not text; quote it"),
        ("tags: {env: 1}", 6, "match.tags.env: 1 is not text; quote it"),
        ("tags: {env: []}", 6, "match.tags.env: must list at least one value"),
        ("tags:\n                env: [prod, 2]", 7, "match.tags.env: should be text (YAML read 2"),
        ("tags: {'': prod}", 6, "match.tags: a tag key must not be empty"),
        ("vpcs: [vpc-ABC]", 6, "match.vpcs: 'vpc-ABC' is not a VPC ID (like vpc-bp1…)"),
        ("vpcs: [vsw-bp1]", 6, "match.vpcs: 'vsw-bp1' is not a VPC ID"),
        ("vswitches: [vpc-bp1]", 6, "match.vswitches: 'vpc-bp1' is not a vSwitch ID"),
        ("instances: [eni-bp1]", 6, "match.instances: 'eni-bp1' is not an instance ID"),
    ],
)
def test_a_bad_match_field_is_pointed_at(match: str, line_no: int, message: str) -> None:
    text = f"""\
        rules:
          - name: first
            match: {{}}
          - name: second
            match:
              {match}
            approvers: [U1]
        """
    (line,) = problems(text)
    prefix = f'policy.yml:{line_no}: rule 2 "second": '
    assert line.startswith(prefix), line
    assert line.removeprefix(prefix).startswith(message), line


def test_a_rule_needs_a_name_and_a_match() -> None:
    text = """\
        rules:
          - approvers: [U1]
          - name: m
          - name: null-match
            match:
        """
    assert problems(text) == [
        "policy.yml:2: rule 1: name: is required",
        "policy.yml:2: rule 1: match: is required",
        'policy.yml:3: rule 2 "m": match: is required',
        'policy.yml:5: rule 3 "null-match": match: is empty; give a value',
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("' padded'", "must be one line of text without leading or trailing spaces"),
        ("''", "must be one line of text without leading or trailing spaces"),
        ("2024", "should be text (YAML read 2024 as a int; put the text in quotes)"),
        ("'" + "x" * 81 + "'", "is longer than 80 characters"),
    ],
)
def test_a_rule_name_is_one_short_line_of_text(name: str, message: str) -> None:
    (line,) = problems(f"rules:\n  - match: {{}}\n    name: {name}\n")
    assert line.startswith("policy.yml:3: rule 1")
    assert line.endswith(f"name: {message}")


def test_a_rule_that_is_not_a_mapping_is_named() -> None:
    assert problems("rules:\n  - {name: a, match: {}}\n  - just text\n") == [
        "policy.yml:3: rule 2: should be a mapping of fields (got 'just text')"
    ]
    assert problems("rules: {name: a}\n") == ["policy.yml:1: rules: should be a list (got a dict)"]


def test_two_rules_of_one_name_are_refused_at_the_second() -> None:
    text = """\
        rules:
          - name: prod
            match: {tags: {env: prod}}
          - name: Prod
            match: {tags: {env: staging}}
        """
    assert problems(text) == [
        "policy.yml:4: rule 2 \"Prod\": name: 'Prod' is already the name of rule 1; names must"
        " differ"
    ]


def test_a_rule_nobody_could_approve_is_refused() -> None:
    no_default = """\
        rules:
          - name: all
            match: {}
        """
    assert problems(no_default, default_approvers=()) == [
        'policy.yml:2: rule 1 "all": names no approvers and ENIBOT_APPROVERS is empty; add'
        " `approvers`"
    ]
    explicit_empty = """\
        rules:
          - name: all
            match: {}
            approvers: []
        """
    assert problems(explicit_empty) == [
        'policy.yml:4: rule 1 "all": approvers: is empty, so nobody could approve what this rule'
        " governs"
    ]


def test_deny_and_auto_approve_rules_need_no_approvers() -> None:
    text = """\
        rules:
          - {name: db, match: {tags: {team: data}}, deny: no thanks}
          - {name: dev, match: {tags: {env: dev}}, auto_approve: true, approvers: []}
          - {name: all, match: {}, approvers: [U1]}
        """
    policy = load(text, default_approvers=())
    assert [rule.approvers for rule in policy.rules] == [(), (), ("U1",)]


def test_more_approvals_than_named_people_is_refused_unless_a_group_is_named() -> None:
    text = """\
        rules:
          - name: prod
            match: {tags: {env: prod}}
            approvers: [U1, U2, U1]
            approvals: 3
        """
    assert problems(text) == [
        'policy.yml:5: rule 1 "prod": approvals: needs 3 approvals but only 2 people are named as'
        " approvers"
    ]
    one = "rules: [{name: a, match: {}, approvals: 2}]\n"
    assert problems(one) == [
        'policy.yml:1: rule 1 "a": approvals: needs 2 approvals but only 1 person is named as'
        " approvers"
    ]
    assert load(one, default_approvers=("S0LEADS",)).rules[0].approvals == 2


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("{}", "{tags: {env: prod}}"),
        ("{}", "{}"),
        ("{tags: {env: [prod, staging]}}", "{tags: {env: prod, team: web}}"),
        ("{regions: [cn-hangzhou, cn-shanghai]}", "{regions: [cn-hangzhou], vpcs: [vpc-bp1]}"),
        ("{operations: [detach, attach]}", "{regions: [cn-hangzhou]}"),
        ("{operations: [detach]}", "{operations: [detach], instances: [i-bp1]}"),
    ],
)
def test_a_rule_an_earlier_rule_always_catches_first_is_refused(first: str, second: str) -> None:
    text = f"""\
        rules:
          - name: wide
            match: {first}
          - name: narrow
            match: {second}
        """
    assert problems(text) == [
        'policy.yml:5: rule 2 "narrow": match: never applies: rule 1 "wide" comes first and'
        " matches everything this rule matches"
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("{tags: {env: prod}}", "{}"),
        ("{tags: {env: prod}}", "{tags: {env: [prod, staging]}}"),
        ("{tags: {env: prod}}", "{tags: {team: web}}"),
        ("{regions: [cn-hangzhou]}", "{regions: [cn-hangzhou, cn-shanghai]}"),
        ("{operations: [detach]}", "{regions: [cn-hangzhou]}"),
        ("{vpcs: [vpc-bp1]}", "{vswitches: [vsw-bp1]}"),
    ],
)
def test_rules_that_overlap_only_in_part_are_fine(first: str, second: str) -> None:
    text = f"""\
        rules:
          - name: one
            match: {first}
          - name: two
            match: {second}
        """
    assert [rule.name for rule in load(text).rules] == ["one", "two"]


# -- freezes -------------------------------------------------------------------------------

FREEZE_WITH = """\
    rules:
      - {{name: all, match: {{}}}}
    freezes:
      - name: ok
        start: 2027-01-01T00:00:00Z
        end: 2027-01-02T00:00:00Z
      - name: broken
        {start}
        {end}
    """


@pytest.mark.parametrize(
    ("start", "end", "line_no", "message"),
    [
        (
            "start: 2027-01-01T00:00:00",
            "end: 2027-01-02T00:00:00Z",
            8,
            "start: 2027-01-01T00:00:00 has no offset; add one (like +08:00 or Z)",
        ),
        (
            "start: '2027-01-01 00:00'",
            "end: 2027-01-02T00:00:00Z",
            8,
            "start: 2027-01-01T00:00:00 has no offset",
        ),
        (
            "start: 2027-01-01T00:00:00Z",
            "end: 2027-01-02",
            9,
            "end: 2027-01-02 is a date; give a date and time with an offset",
        ),
        (
            "start: 1798761600",
            "end: 2027-01-02T00:00:00Z",
            8,
            "start: must be an ISO 8601 date and time with an offset",
        ),
        (
            "start: next monday",
            "end: 2027-01-02T00:00:00Z",
            8,
            "start: 'next monday' is not an ISO 8601 date and time",
        ),
        (
            "start: 2027-01-02T00:00:00+08:00",
            "end: 2027-01-01T16:00:00Z",
            9,
            "end: 2027-01-01T16:00:00+00:00 is not after start (2027-01-02T00:00:00+08:00)",
        ),
        (
            "start: 2027-01-02T00:00:00Z",
            "end: 2027-01-01T00:00:00Z",
            9,
            "end: 2027-01-01T00:00:00+00:00 is not after start",
        ),
        ("start: 2027-01-02T00:00:00Z", "approvers: [U1]", 7, "end: is required"),
    ],
)
def test_a_bad_freeze_names_freeze_number_name_field_and_line(
    start: str, end: str, line_no: int, message: str
) -> None:
    (line,) = problems(FREEZE_WITH.format(start=start, end=end))
    prefix = f'policy.yml:{line_no}: freeze 2 "broken": '
    assert line.startswith(prefix), line
    assert line.removeprefix(prefix).startswith(message), line


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("approvers: [bob]", "approvers: 'bob' is not a Slack user ID"),
        ("approvers:", "approvers: is empty; give a value"),
        ("match:", "match: is empty; give a value"),
        ("match: {regions: [x]}", "match.regions: 'x' is not a region ID"),
        ("deny: no", "deny: unknown field; expected one of name, start, end, match, approvers,"),
        ("message: ''", "message: must not be empty"),
    ],
)
def test_other_freeze_fields(field: str, message: str) -> None:
    text = f"""\
        rules: [{{name: all, match: {{}}}}]
        freezes:
          - name: f
            start: 2027-01-01T00:00:00Z
            end: 2027-01-02T00:00:00Z
            {field}
        """
    (line,) = problems(text)
    assert line.startswith('policy.yml:6: freeze 1 "f": ' + message), line


def test_two_freezes_of_one_name_are_refused() -> None:
    text = """\
        rules: [{name: all, match: {}}]
        freezes:
          - {name: f, start: 2027-01-01T00:00:00Z, end: 2027-01-02T00:00:00Z}
          - {name: f, start: 2027-02-01T00:00:00Z, end: 2027-02-02T00:00:00Z}
        """
    assert problems(text) == [
        "policy.yml:4: freeze 2 \"f\": name: 'f' is already the name of freeze 1; names must differ"
    ]


# -- many problems at once -----------------------------------------------------------------


def test_every_problem_is_reported_once_in_file_order() -> None:
    text = """\
        rules:
          - name: prod
            match:
              tags: {env: true}
              region: [cn-hangzhou]
            approvers: [alice]
            approvals: 0
          - match: {}
        freezes:
          - name: f
            start: 2027-01-01T00:00:00
            end: 2027-01-02T00:00:00Z
            approvers: []
            approvers: [U1]
        """
    assert problems(text) == [
        'policy.yml:4: rule 1 "prod": match.tags.env: true is not text; quote it (tag values are'
        " strings) or list several",
        'policy.yml:5: rule 1 "prod": match.region: unknown field; expected one of operations,'
        " regions, tags, vpcs, vswitches, instances",
        "policy.yml:6: rule 1 \"prod\": approvers: 'alice' is not a Slack user ID (U…/W…) or user"
        " group ID (S…); use IDs, not names",
        'policy.yml:7: rule 1 "prod": approvals: should be greater than or equal to 1 (got 0)',
        "policy.yml:8: rule 2: name: is required",
        'policy.yml:11: freeze 1 "f": start: 2027-01-01T00:00:00 has no offset; add one (like'
        " +08:00 or Z) so that every host reads the same instant",
        'policy.yml:14: freeze 1 "f": approvers: is given again; only the last would count',
    ]


def test_a_problem_without_a_line_names_the_file() -> None:
    problem = PolicyProblem("p.yml", None, 'rule 1 "a"', "match", "bad")
    assert str(problem) == 'p.yml: rule 1 "a": match: bad'
    assert str(PolicyProblem("p.yml", 3, None, None, "bad")) == "p.yml:3: bad"
    error = PolicyError([problem, PolicyProblem("p.yml", 3, None, None, "two\nlines")])
    assert error.lines() == ['p.yml: rule 1 "a": match: bad', "p.yml:3: two lines"]
