"""What a line of `/eni` can mean: the subcommands, each parsed command, and what was wrong.

Plain values, no parsing: the grammar (`bot.requests.commands`) builds them, the use cases and
the Slack surface read them. An error is a code and the words it is about (`CommandError`),
never a sentence: `bot.slack.blocks.usage` says it in words, with the right form.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.requests.tokens import (
    ENI_ID_RE,
    INSTANCE_ID_RE,
    MAX_REASON_LENGTH,
    MAX_TAGS,
    TagFilter,
    selector_text,
)

__all__ = [
    "CancelCommand",
    "CommandError",
    "CommandProblem",
    "DetachCommand",
    "DetachFormCommand",
    "HelpCommand",
    "ListCommand",
    "ListScope",
    "Operation",
    "ParsedCommand",
    "ReattachCommand",
    "RetryCommand",
    "StatusCommand",
    "Subcommand",
]

# What a request does to its ENIs (the `operation` column of requests and targets).
Operation = Literal["detach", "attach"]


class Subcommand(StrEnum):
    """The words after `/eni`."""

    DETACH = "detach"
    ATTACH = "attach"  # 0.2
    REATTACH = "reattach"  # 0.2: undo a detach request
    STATUS = "status"
    LIST = "list"
    CANCEL = "cancel"
    RETRY = "retry"
    HELP = "help"


class ListScope(StrEnum):
    """Which requests `/eni list` shows."""

    MINE = "mine"
    PENDING = "pending"
    OPEN = "open"


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


EniId = Annotated[str, Field(pattern=ENI_ID_RE.pattern)]


class DetachCommand(_Command):
    """`/eni detach` or `/eni attach` with its arguments: which ENIs, where, why.

    The name is 0.1's; `operation` says what is asked. A detach's listed ENIs (`eni_ids`) are
    taken as they are: a problem with any refuses the command. With none listed, the command
    selects: the secondary ENIs of `instance_id`, or those carrying every tag of `tags` (in
    `instance_id` only, when it is named). An attach lists its ENIs (no selection):
    `instance_id` is where they go, or, when None, each back where this bot last detached it
    from.
    """

    kind: Literal[Subcommand.DETACH] = Subcommand.DETACH
    operation: Operation = "detach"
    eni_ids: tuple[EniId, ...] = ()
    instance_id: Annotated[str | None, Field(pattern=INSTANCE_ID_RE.pattern)] = None
    tags: tuple[TagFilter, ...] = ()
    region: str
    region_given: bool = False
    reason: Annotated[str, Field(min_length=1, max_length=MAX_REASON_LENGTH)]

    @model_validator(mode="after")
    def _names_what_to_detach(self) -> DetachCommand:
        if len(set(self.eni_ids)) != len(self.eni_ids):
            raise ValueError("a listed ENI ID appears twice")
        if self.eni_ids and self.tags:
            raise ValueError("listed ENI IDs and tags together")
        if self.operation == "attach" and (self.tags or not self.eni_ids):
            raise ValueError("an attach lists its ENI IDs (no selection)")
        if not (self.eni_ids or self.tags or self.instance_id):
            raise ValueError("nothing to detach: no ENI ID, no instance, no tag")
        if len(self.tags) > MAX_TAGS or len(dict(self.tags)) != len(self.tags):
            raise ValueError("at most 20 tags, each key once")
        return self

    @property
    def eni_id(self) -> str | None:
        """The first listed ENI (the one of a one-ENI command); None for a selection."""
        return self.eni_ids[0] if self.eni_ids else None

    @property
    def is_selection(self) -> bool:
        """No ENI listed: the ENIs are found by instance or by tags."""
        return not self.eni_ids

    @property
    def selector(self) -> str | None:
        """How a selection chooses its ENIs, as it would be typed; None for listed ENIs."""
        if not self.is_selection:
            return None
        return selector_text(self.tags, self.instance_id)


class DetachFormCommand(_Command):
    """`/eni detach` (or `/eni attach`) with nothing after it: open the modal on that operation."""

    kind: Literal["detach_form"] = "detach_form"
    operation: Operation = "detach"


class StatusCommand(_Command):
    """`/eni status` of one request (by ID) or of an ENI's latest request."""

    kind: Literal[Subcommand.STATUS] = Subcommand.STATUS
    request_id: int | None = None
    eni_id: str | None = None


class ListCommand(_Command):
    """`/eni list` with its scope."""

    kind: Literal[Subcommand.LIST] = Subcommand.LIST
    scope: ListScope = ListScope.OPEN


class CancelCommand(_Command):
    """`/eni cancel <request-id>`."""

    kind: Literal[Subcommand.CANCEL] = Subcommand.CANCEL
    request_id: int


class RetryCommand(_Command):
    """`/eni retry <request-id>`: re-initiate a stuck detach."""

    kind: Literal[Subcommand.RETRY] = Subcommand.RETRY
    request_id: int


class ReattachCommand(_Command):
    """`/eni reattach <request-id>`: put back the ENIs a detach request detached."""

    kind: Literal[Subcommand.REATTACH] = Subcommand.REATTACH
    request_id: int


class HelpCommand(_Command):
    """`/eni`, `/eni help`."""

    kind: Literal[Subcommand.HELP] = Subcommand.HELP


ParsedCommand = (
    DetachCommand
    | DetachFormCommand
    | StatusCommand
    | ListCommand
    | CancelCommand
    | RetryCommand
    | ReattachCommand
    | HelpCommand
)


class CommandProblem(StrEnum):
    """Why a line did not parse (each has its words in `bot.slack.blocks.usage`)."""

    UNKNOWN_SUBCOMMAND = "unknown_subcommand"
    TWO_INSTANCES = "two_instances"
    TWO_REGIONS = "two_regions"
    NOT_AN_ENI_ID = "not_an_eni_id"
    NOT_AN_INSTANCE_ID = "not_an_instance_id"
    UNKNOWN_REGION = "unknown_region"
    NO_ENI = "no_eni"
    NO_ENI_TO_ATTACH = "no_eni_to_attach"  # attach: an instance or tags, but no ENI ID
    TAGS_NOT_FOR_ATTACH = "tags_not_for_attach"  # attach takes ENI IDs, not a selection
    NOT_A_TAG = "not_a_tag"  # tag: without key=value, or with an empty or too long part
    TAG_TWICE = "tag_twice"  # one key with two values: no ENI could match both
    TOO_MANY_TAGS = "too_many_tags"
    ENIS_WITH_TAGS = "enis_with_tags"
    NO_REASON = "no_reason"
    REASON_TOO_LONG = "reason_too_long"
    NO_STATUS_TARGET = "no_status_target"
    EXTRA_STATUS_ARGUMENTS = "extra_status_arguments"
    NOT_A_STATUS_TARGET = "not_a_status_target"
    EXTRA_LIST_ARGUMENTS = "extra_list_arguments"
    NOT_A_LIST_SCOPE = "not_a_list_scope"
    NO_REQUEST_ID = "no_request_id"
    EXTRA_REQUEST_ARGUMENTS = "extra_request_arguments"
    NOT_A_REQUEST_ID = "not_a_request_id"


@dataclass(frozen=True)
class CommandError:
    """What was wrong with the line: a code, the subcommand it was for, and what it is about."""

    problem: CommandProblem
    subcommand: Subcommand | None = None  # None: the subcommand itself was not understood
    token: str = ""  # the word the problem is about, as typed
    earlier: str = ""  # TWO_*, TAG_TWICE, ENIS_WITH_TAGS: the earlier word it clashes with
    example: str = ""  # UNKNOWN_REGION: a region ID that would do (the default one)
    length: int = 0  # REASON_TOO_LONG: how long the reason is
