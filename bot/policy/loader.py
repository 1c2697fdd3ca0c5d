"""Reading the policy file: an `ApprovalPolicy`, or every problem, each naming its place.

A problem reads `policy.yml:12: rule 2 "prod": match.tags.env: …`: the file and line (when the
YAML says), the rule or freeze by 1-based number and name, the field, and what is wrong. The
lines come from the YAML node tree (`bot.policy.marks`), matched against pydantic's error paths.

Besides what the models refuse, a file is refused when it would not do what it says: two rules or
freezes of one name (requests store the governing rule's name), a rule nobody could approve, one
asking more approvals than the people it names, or one that can never apply because an earlier
rule matches everything it matches (the usual slip: the catch-all put first).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.policy.marks import YamlSyntaxError, duplicate_keys, line_of, null_values, parse_yaml
from bot.policy.models import (
    ApprovalPolicy,
    Freeze,
    Match,
    Operation,
    PolicyFile,
    Rule,
    RuleSpec,
)

__all__ = [
    "DEFAULT_RULE_NAME",
    "PolicyError",
    "PolicyProblem",
    "default_policy",
    "load_policy",
    "parse_policy",
    "summary",
]

DEFAULT_RULE_NAME = "default"

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class PolicyProblem:
    """One thing wrong with a policy file, and where."""

    source: str
    line: int | None
    place: str | None  # 'rule 2 "prod"', 'freeze 1 "year-end"', or None for the file itself
    field: str | None  # 'match.tags.env'
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return ": ".join(part for part in (where, self.place, self.field, self.message) if part)


class PolicyError(Exception):
    """The policy file cannot be used; `problems` holds each reason (at least one)."""

    def __init__(self, problems: Sequence[PolicyProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One line per problem, as `eni-bot policy check` prints them."""
        return [" ".join(str(problem).split()) for problem in self.problems]


def default_policy(*, approvers: Sequence[str], approvals: int) -> ApprovalPolicy:
    """The policy without a file: one rule over everything (CONTRACT.md)."""
    rule = Rule(
        number=1,
        name=DEFAULT_RULE_NAME,
        match=Match(),
        approvers=_unique(approvers),
        approvals=approvals,
    )
    return ApprovalPolicy(rules=(rule,))


def load_policy(path: str | Path, *, default_approvers: Sequence[str] = ()) -> ApprovalPolicy:
    """Read and check the file at `path`; raise PolicyError naming every problem.

    `default_approvers` (ENIBOT_APPROVERS) stand in for a rule that names no approvers.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _error(source, "is not UTF-8 text") from None
    except OSError as exc:
        raise _error(source, f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    return parse_policy(text, source=source, default_approvers=default_approvers)


def parse_policy(
    text: str, *, source: str, default_approvers: Sequence[str] = ()
) -> ApprovalPolicy:
    """Check the policy in `text` (named `source` in problems); raise PolicyError."""
    try:
        parsed = parse_yaml(text)
    except YamlSyntaxError as exc:
        raise PolicyError(
            [PolicyProblem(source, exc.line, None, None, f"not valid YAML: {exc.message}")]
        ) from None
    data = parsed.data
    if data is None:
        raise _error(source, "is empty; it needs a `rules` list (see the example policy file)")
    if not isinstance(data, dict):
        raise _error(
            source,
            f"must be a mapping with `rules` (and optionally `freezes`), not {_kind(data)}",
            line_of(parsed.root, ()),
        )
    # safe_load keeps the last of repeated keys without a word; a repeat is a slip to show.
    problems = [
        _problem(source, parsed.root, data, loc, "is given again; only the last would count", line)
        for loc, line in duplicate_keys(parsed.root)
    ]
    # A null is never meant: `deny:` left empty must not make an approval rule of a deny rule.
    nulls = dict(null_values(parsed.root))
    try:
        spec: PolicyFile | None = PolicyFile.model_validate(data)
        errors: list[ErrorDetails] = []
    except ValidationError as exc:
        spec, errors = None, exc.errors()
    refused = {tuple(error["loc"]) for error in errors}
    unknown = {tuple(e["loc"]) for e in errors if e["type"] == "extra_forbidden"}
    problems += [
        # Where the model refused the null too, leaving the field out is no fix.
        _problem(source, parsed.root, data, loc, "is empty; give a value", line)
        if loc in refused
        else _problem(
            source, parsed.root, data, loc, "is empty; give a value or leave it out", line
        )
        for loc, line in nulls.items()
        if loc not in unknown  # a misspelt field says so, empty or not
    ]
    problems += [
        _from_pydantic(source, parsed.root, data, error)
        for error in errors
        if tuple(error["loc"]) not in nulls or tuple(error["loc"]) in unknown
    ]
    if spec is None or problems:
        raise PolicyError(_in_order(problems))
    policy = _resolve(spec, source, default_approvers)
    problems = [
        _problem(source, parsed.root, data, loc, message)
        for loc, message in _meaning(spec, policy, default_approvers)
    ]
    if problems:
        raise PolicyError(_in_order(problems))
    return policy


def summary(policy: ApprovalPolicy) -> str:
    """'4 rules, 1 freeze': what `policy check` says of a good file."""
    rules, freezes = len(policy.rules), len(policy.freezes)
    return f"{rules} rule{'s' * (rules != 1)}, {freezes} freeze{'s' * (freezes != 1)}"


def _error(source: str, message: str, line: int | None = None) -> PolicyError:
    return PolicyError([PolicyProblem(source, line, None, None, message)])


def _in_order(problems: list[PolicyProblem]) -> list[PolicyProblem]:
    # File order reads best; problems without a line (rare) go last, stable otherwise.
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0))


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    return f"a {type(value).__name__}"


def _unique(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))


def _resolve(spec: PolicyFile, source: str, default_approvers: Sequence[str]) -> ApprovalPolicy:
    rules = tuple(
        Rule(
            number=number,
            name=rule.name,
            match=rule.match,
            deny=rule.deny,
            approvers=()
            if rule.deny is not None
            else _unique(rule.approvers if rule.approvers is not None else default_approvers),
            approvals=rule.approvals or 1,
            auto_approve=bool(rule.auto_approve),
            allow_self_approval=bool(rule.allow_self_approval),
        )
        for number, rule in enumerate(spec.rules, start=1)
    )
    return ApprovalPolicy(rules=rules, freezes=spec.freezes, source=source)


def _meaning(
    spec: PolicyFile, policy: ApprovalPolicy, default_approvers: Sequence[str]
) -> Iterable[tuple[Loc, str]]:
    """What the models cannot see: problems across rules, and rules that could never work."""
    yield from _same_names("rules", [rule.name for rule in spec.rules], "rule")
    yield from _same_names("freezes", [freeze.name for freeze in spec.freezes], "freeze")
    for index, (rule_spec, rule) in enumerate(zip(spec.rules, policy.rules, strict=True)):
        if rule.is_deny or rule.auto_approve:
            pass
        elif not rule.approvers:
            yield (
                (
                    ("rules", index, "approvers"),
                    "is empty, so nobody could approve what this rule governs",
                )
                if rule_spec.approvers is not None
                else (
                    ("rules", index),
                    "names no approvers and ENIBOT_APPROVERS is empty; add `approvers`",
                )
            )
        elif rule.approvals > len(rule.approvers) and not any(
            approver.startswith("S") for approver in rule.approvers
        ):
            people = len(rule.approvers)
            yield (
                ("rules", index, "approvals"),
                f"needs {rule.approvals} approvals but only {people} "
                f"{'person is' if people == 1 else 'people are'} named as approvers",
            )
        for earlier in policy.rules[:index]:
            if _covers_all_of(earlier.match, rule.match):
                yield (
                    ("rules", index, "match"),
                    f'never applies: rule {earlier.number} "{earlier.name}" comes first and '
                    "matches everything this rule matches",
                )
                break


def _same_names(field: str, names: list[str], what: str) -> Iterable[tuple[Loc, str]]:
    first: dict[str, int] = {}
    for index, name in enumerate(names):
        key = name.casefold()
        if key in first:
            yield (
                (field, index, "name"),
                f"{name!r} is already the name of {what} {first[key] + 1}; names must differ",
            )
        else:
            first[key] = index


_LISTS = ("regions", "vpcs", "vswitches", "instances")


def _covers_all_of(first: Match, then: Match) -> bool:
    """Whether every ENI and operation `then` matches is matched by `first` (a sufficient test)."""
    every_operation = tuple(Operation)
    if not set(then.operations or every_operation) <= set(first.operations or every_operation):
        return False
    for name in _LISTS:
        wide, narrow = getattr(first, name), getattr(then, name)
        if wide is not None and (narrow is None or not set(narrow) <= set(wide)):
            return False
    for key, values in (first.tags or {}).items():
        narrow_values = (then.tags or {}).get(key)
        if narrow_values is None or not set(narrow_values) <= set(values):
            return False
    return True


# -- pydantic's errors, told in the file's terms ---------------------------------------------

_MODELS_UNDER: dict[str, type[BaseModel]] = {"rules": RuleSpec, "freezes": Freeze}

_WORDS = {
    "missing": "is required",
    "bool_type": "should be true or false",
    "int_type": "should be a whole number",
    "int_from_float": "should be a whole number",
    "string_type": "should be text",
    "tuple_type": "should be a list",
    "list_type": "should be a list",
    "dict_type": "should be a mapping",
    "model_type": "should be a mapping of fields",
    "model_attributes_type": "should be a mapping of fields",
}


def _from_pydantic(source: str, root: Any, data: Any, error: ErrorDetails) -> PolicyProblem:
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        message = f"unknown field; expected one of {', '.join(_allowed_fields(loc[:-1]))}"
    elif kind in _WORDS:
        message = _WORDS[kind] + _got(error)
    elif kind == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
    else:
        message = str(error["msg"]).removeprefix("Input ") + _got(error)
    return _problem(source, root, data, loc, message)


def _got(error: ErrorDetails) -> str:
    if error["type"] == "missing":
        return ""
    value = error.get("input")
    if error["type"] == "string_type" and isinstance(value, bool | int | float):
        # YAML reads `no`, `on`, `1.0` as non-text; quoting is the fix.
        shown = str(value).lower() if isinstance(value, bool) else repr(value)
        return f" (YAML read {shown} as a {type(value).__name__}; put the text in quotes)"
    if isinstance(value, bool):
        return f" (got {str(value).lower()})"
    if isinstance(value, str | int | float) and len(repr(value)) <= 60:
        return f" (got {value!r})"
    if value is None:
        return " (got nothing)"
    return f" (got {_kind(value)})"


def _allowed_fields(parent: Loc) -> list[str]:
    names = [part for part in parent if isinstance(part, str)]
    model: type[BaseModel] = PolicyFile
    if names and names[-1] == "match":
        model = Match
    elif names and names[0] in _MODELS_UNDER:
        model = _MODELS_UNDER[names[0]]
    return list(model.model_fields)


def _problem(
    source: str, root: Any, data: Any, loc: Loc, message: str, line: int | None = None
) -> PolicyProblem:
    place, rest = None, loc
    if len(loc) >= 2 and loc[0] in _MODELS_UNDER and isinstance(loc[1], int):
        what = "rule" if loc[0] == "rules" else "freeze"
        place = f"{what} {loc[1] + 1}" + _name_at(data, loc[0], loc[1])
        rest = loc[2:]
    # Indexes are left to the line number; '[key]' is pydantic's mark for a bad mapping key.
    field = ".".join(part for part in rest if isinstance(part, str) and part not in ("", "[key]"))
    if line is None:
        line = line_of(root, loc)
    return PolicyProblem(source, line, place, field or None, message)


def _name_at(data: Any, field: str, index: int) -> str:
    items = data.get(field) if isinstance(data, dict) else None
    if isinstance(items, list) and 0 <= index < len(items) and isinstance(items[index], dict):
        name = items[index].get("name")
        if isinstance(name, str) and name.strip():
            return f' "{" ".join(name.split())[:80]}"'
    return ""
