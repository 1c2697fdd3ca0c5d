"""The approval policy (CONTRACT.md "Approval policy (0.2)"): who must approve what.

Pure domain: the file's models (`models`), reading it with problems that name their place
(`loader`, over `marks`), and the rules of evaluation (`evaluate`). Stdlib, pydantic and PyYAML
only; the domain (`bot.requests`) imports this, never the other way round.
"""

from bot.policy.evaluate import (
    ClickCheck,
    ClickRefusal,
    Decision,
    Governed,
    Refusal,
    RefusalKind,
    Refused,
    Requirement,
    TargetFacts,
    evaluate,
    freezes_in_force,
    matches,
    may_count,
    rule_for,
)
from bot.policy.loader import (
    DEFAULT_RULE_NAME,
    PolicyError,
    PolicyProblem,
    default_policy,
    load_policy,
    parse_policy,
    summary,
)
from bot.policy.models import ApprovalPolicy, Freeze, Match, Operation, Rule

__all__ = [
    "DEFAULT_RULE_NAME",
    "ApprovalPolicy",
    "ClickCheck",
    "ClickRefusal",
    "Decision",
    "Freeze",
    "Governed",
    "Match",
    "Operation",
    "PolicyError",
    "PolicyProblem",
    "Refusal",
    "RefusalKind",
    "Refused",
    "Requirement",
    "Rule",
    "TargetFacts",
    "default_policy",
    "evaluate",
    "freezes_in_force",
    "load_policy",
    "matches",
    "may_count",
    "parse_policy",
    "rule_for",
    "summary",
]
