"""The approval policy file (CONTRACT.md "Approval policy (0.2)") as types.

Two layers:

- `PolicyFile`, `RuleSpec`, `Match`, `Freeze`: pydantic models of what the YAML file holds.
  Unknown fields are refused (a typo such as `aprovers` or `tag` must not silently widen a rule),
  booleans and numbers are strict, and datetimes need an offset. `None` means "not given", as
  in Python; the loader refuses a null written in the file (`deny:` with nothing after it would
  otherwise turn a deny rule into an approval rule).
- `ApprovalPolicy` and `Rule`: what evaluation reads, with the defaults resolved (a rule's
  approvers default to `ENIBOT_APPROVERS`, which only the loader knows). Plain frozen values.

`Match` and `Freeze` need no resolving, so they serve both layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
)

from bot.regions import is_region_id

__all__ = [
    "MAX_NAME_LENGTH",
    "ApprovalPolicy",
    "Freeze",
    "Match",
    "Operation",
    "PolicyFile",
    "Rule",
    "RuleSpec",
    "is_approver_id",
]


class Operation(StrEnum):
    """What a request does to its ENIs (undo is an attach)."""

    DETACH = "detach"
    ATTACH = "attach"


def is_approver_id(value: str) -> bool:
    """A Slack user ID (U…/W…) or user group ID (S…), the shape ENIBOT_APPROVERS takes."""
    return value[:1] in ("U", "W", "S") and value[1:].isalnum() and value.isupper()


def _approver(value: str) -> str:
    if not is_approver_id(value):
        raise ValueError(
            f"{value!r} is not a Slack user ID (U…/W…) or user group ID (S…); use IDs, not names"
        )
    return value


def _non_empty_text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _non_empty_list(value: tuple[str, ...]) -> tuple[str, ...]:
    # An empty list would match nothing, which nobody means; absence is how to match everything.
    if not value:
        raise ValueError("must list at least one value (leave the field out to match everything)")
    return value


def _one_or_many(value: Any) -> Any:
    """A tag's wanted value: one string, or a list of them."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return value
    # YAML reads `true`, `1` or `2024-01-01` as other types; ECS tag values are always text.
    shown = str(value).lower() if isinstance(value, bool) else repr(value)
    raise ValueError(f"{shown} is not text; quote it (tag values are strings) or list several")


def _shaped(prefix: str, what: str) -> AfterValidator:
    def check(value: str) -> str:
        rest = value.removeprefix(prefix)
        if rest == value or not rest or not (rest.isalnum() and rest == rest.lower()):
            raise ValueError(f"{value!r} is not {what} ID (like {prefix}bp1…)")
        return value

    return AfterValidator(check)


def _region(value: str) -> str:
    if not is_region_id(value):
        raise ValueError(f"{value!r} is not a region ID (like cn-hangzhou)")
    return value


def _aware(value: Any) -> Any:
    """ISO 8601 with an offset: a naive time would mean a different instant on every host."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is not an ISO 8601 date and time (like 2024-12-20T18:00:00+08:00)"
            ) from None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"{value.isoformat()} has no offset; add one (like +08:00 or Z) so that every "
                "host reads the same instant"
            )
        return value
    if isinstance(value, date):
        raise ValueError(
            f"{value.isoformat()} is a date; give a date and time with an offset "
            f"(like {value.isoformat()}T00:00:00+08:00)"
        )
    raise ValueError(
        "must be an ISO 8601 date and time with an offset (like 2024-12-20T18:00+08:00)"
    )


def _name(value: str) -> str:
    # Names go on the card, in /eni status and in the audit trail: one short line.
    if not value.strip() or value != value.strip() or "\n" in value:
        raise ValueError("must be one line of text without leading or trailing spaces")
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"is longer than {MAX_NAME_LENGTH} characters")
    return value


MAX_NAME_LENGTH = 80


def _tag_key(value: str) -> str:
    if not value.strip():
        raise ValueError("a tag key must not be empty")
    return value


NonEmptyText = Annotated[StrictStr, AfterValidator(_non_empty_text)]
TagKey = Annotated[StrictStr, AfterValidator(_tag_key)]
Name = Annotated[StrictStr, AfterValidator(_name)]
ApproverId = Annotated[StrictStr, AfterValidator(_approver)]
RegionId = Annotated[StrictStr, AfterValidator(_region)]
VpcId = Annotated[StrictStr, _shaped("vpc-", "a VPC")]
VSwitchId = Annotated[StrictStr, _shaped("vsw-", "a vSwitch")]
InstanceId = Annotated[StrictStr, _shaped("i-", "an instance")]
AwareDatetime = Annotated[datetime, BeforeValidator(_aware)]
TagValues = Annotated[
    tuple[StrictStr, ...], BeforeValidator(_one_or_many), AfterValidator(_non_empty_list)
]

_LISTED = AfterValidator(_non_empty_list)
Operations = Annotated[tuple[Operation, ...], _LISTED]
Regions = Annotated[tuple[RegionId, ...], _LISTED]
Vpcs = Annotated[tuple[VpcId, ...], _LISTED]
VSwitches = Annotated[tuple[VSwitchId, ...], _LISTED]
Instances = Annotated[tuple[InstanceId, ...], _LISTED]
Tags = dict[TagKey, TagValues]


_FILE_MODEL = ConfigDict(extra="forbid", frozen=True)


class Match(BaseModel):
    """Which ENIs a rule or freeze covers: every given field must match; an absent one matches all.

    `instances` are the instance an ENI is detached from (detach) or attached to (attach).
    """

    model_config = _FILE_MODEL

    operations: Operations | None = None
    regions: Regions | None = None
    tags: Tags | None = None
    vpcs: Vpcs | None = None
    vswitches: VSwitches | None = None
    instances: Instances | None = None

    @field_validator("tags")
    @classmethod
    def _some_tags(
        cls, value: dict[str, tuple[str, ...]] | None
    ) -> dict[str, tuple[str, ...]] | None:
        if value is not None and not value:
            raise ValueError("must name at least one tag (leave the field out to match everything)")
        return value


class Freeze(BaseModel):
    """A change freeze: while in force, matching requests need its approvers, or are refused.

    `message` is an addition to the contract's fields: what the refusal quotes for people.
    """

    model_config = _FILE_MODEL

    name: Name
    start: AwareDatetime
    end: AwareDatetime
    match: Match = Field(default_factory=Match)
    approvers: tuple[ApproverId, ...] = ()
    message: NonEmptyText | None = None

    @field_validator("end")
    @classmethod
    def _after_start(cls, value: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("start")
        if isinstance(start, datetime) and value <= start:
            raise ValueError(f"{value.isoformat()} is not after start ({start.isoformat()})")
        return value

    def in_force(self, now: datetime) -> bool:
        """Whether `now` falls in [start, end)."""
        return self.start <= now < self.end


class RuleSpec(BaseModel):
    """One rule as written: either `deny`, or any of the approval fields (defaults unresolved)."""

    model_config = _FILE_MODEL

    name: Name
    match: Match
    approvers: tuple[ApproverId, ...] | None = None
    approvals: Annotated[StrictInt, Field(ge=1)] | None = None
    auto_approve: StrictBool | None = None
    allow_self_approval: StrictBool | None = None
    # Last, so that its validator sees which approval fields were given alongside it.
    deny: NonEmptyText | None = None

    @field_validator("deny")
    @classmethod
    def _deny_alone(cls, value: str | None, info: ValidationInfo) -> str | None:
        given = [
            name
            for name in ("approvers", "approvals", "auto_approve", "allow_self_approval")
            if info.data.get(name) is not None
        ]
        if value is not None and given:
            raise ValueError(f"a deny rule only refuses: remove {', '.join(given)}, or remove deny")
        return value


class PolicyFile(BaseModel):
    """The whole file: an ordered list of rules, and freezes."""

    model_config = _FILE_MODEL

    rules: tuple[RuleSpec, ...]
    freezes: tuple[Freeze, ...] = ()

    @field_validator("rules")
    @classmethod
    def _some_rules(cls, value: tuple[RuleSpec, ...]) -> tuple[RuleSpec, ...]:
        if not value:
            raise ValueError("has no rules, so every request would be refused; add at least one")
        return value


@dataclass(frozen=True)
class Rule:
    """A rule with its defaults resolved; `number` is its 1-based place in the file."""

    number: int
    name: str
    match: Match
    deny: str | None = None
    approvers: tuple[str, ...] = ()
    approvals: int = 1
    auto_approve: bool = False
    allow_self_approval: bool = False

    @property
    def is_deny(self) -> bool:
        """Whether this rule refuses what it matches."""
        return self.deny is not None


@dataclass(frozen=True)
class ApprovalPolicy:
    """The rules in file order and the freezes; `source` is the file, or None for the default."""

    rules: tuple[Rule, ...]
    freezes: tuple[Freeze, ...] = ()
    source: str | None = None

    def rule_named(self, name: str) -> Rule | None:
        """The rule called `name` (names are unique in a valid file), if there still is one."""
        return next((rule for rule in self.rules if rule.name == name), None)
