"""Builders for policy tests: rules and freezes in code, ENIs as facts, one fixed instant."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.policy import ApprovalPolicy, Freeze, Match, Rule, TargetFacts

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def match(**fields: Any) -> Match:
    """A Match from file-like values (lists, tag values as text or lists)."""
    return Match.model_validate(fields)


def rule(name: str, number: int = 0, **fields: Any) -> Rule:
    """A resolved rule; `number` is set by `policy`."""
    m = fields.pop("match", Match())
    return Rule(number=number, name=name, match=m, **fields)


def policy(*rules: Rule, freezes: tuple[Freeze, ...] = ()) -> ApprovalPolicy:
    """Rules numbered in the order given."""
    numbered = tuple(
        Rule(
            number=index,
            name=r.name,
            match=r.match,
            deny=r.deny,
            approvers=r.approvers,
            approvals=r.approvals,
            auto_approve=r.auto_approve,
            allow_self_approval=r.allow_self_approval,
        )
        for index, r in enumerate(rules, start=1)
    )
    return ApprovalPolicy(rules=numbered, freezes=freezes)


def freeze(
    name: str,
    *,
    start: datetime = NOW - HOUR,
    end: datetime = NOW + HOUR,
    approvers: tuple[str, ...] = (),
    message: str | None = None,
    **match_fields: Any,
) -> Freeze:
    """A freeze, in force at NOW unless told otherwise."""
    fields: dict[str, Any] = {"message": message} if message is not None else {}
    return Freeze(
        name=name, start=start, end=end, match=match(**match_fields), approvers=approvers, **fields
    )


def eni(
    eni_id: str = "eni-a",
    *,
    region: str = "cn-hangzhou",
    tags: Mapping[str, str] | None = None,
    vpc: str | None = "vpc-one",
    vswitch: str | None = "vsw-one",
    instance: str | None = "i-one",
) -> TargetFacts:
    """One ENI's facts as pre-flight would have them."""
    return TargetFacts(
        eni_id=eni_id,
        region=region,
        tags=dict(tags or {}),
        vpc_id=vpc,
        vswitch_id=vswitch,
        instance_id=instance,
    )
