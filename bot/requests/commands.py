"""The `/eni` grammar: turn what a person typed into a command, or into an error that helps.

Pure (no Slack, no database, no clock) so it can be property-tested. `detach` recognises its
tokens by shape anywhere before the reason: `eni-…` is the ENI, `i-…` the instance, a known
region ID the region; the first token that is none of these starts the reason, which runs to the
end of the line. An error is a code and the words it is about (`CommandError`), never a
sentence: `bot.slack.blocks.usage` says it in words, with the right form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "MAX_REASON_LENGTH",
    "MAX_REQUEST_ID",
    "CancelCommand",
    "CommandError",
    "CommandProblem",
    "DetachCommand",
    "DetachFormCommand",
    "HelpCommand",
    "ListCommand",
    "ListScope",
    "ParsedCommand",
    "RetryCommand",
    "StatusCommand",
    "Subcommand",
    "is_eni_id",
    "is_instance_id",
    "parse_command",
    "parse_request_id",
]

MAX_REASON_LENGTH = 500
# Request IDs are database integers; anything larger cannot exist and must not reach SQL.
MAX_REQUEST_ID = 2**31 - 1

ENI_ID_RE = re.compile(r"^eni-[0-9a-z]{6,40}$")
INSTANCE_ID_RE = re.compile(r"^i-[0-9a-z]{6,40}$")
# Region-shaped words whose first part is a real area prefix: an unknown one is a typo, not
# the start of a reason ("cn-hangzou"); "re-attach" is a reason.
_AREA_PREFIXES = ("cn", "ap", "us", "eu", "me", "ac", "na", "sa", "af", "rus")
_REGION_SHAPE_RE = re.compile(r"^(" + "|".join(_AREA_PREFIXES) + r")(-[a-z0-9]+){1,4}$")
_REQUEST_ID_RE = re.compile(r"^#?([0-9]{1,12})$")


class Subcommand(StrEnum):
    """The words after `/eni`."""

    DETACH = "detach"
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


class DetachCommand(_Command):
    """`/eni detach` with its arguments: what to detach, where, and why."""

    kind: Literal[Subcommand.DETACH] = Subcommand.DETACH
    eni_id: Annotated[str, Field(pattern=ENI_ID_RE.pattern)]
    instance_id: Annotated[str | None, Field(pattern=INSTANCE_ID_RE.pattern)] = None
    region: str
    region_given: bool = False
    reason: Annotated[str, Field(min_length=1, max_length=MAX_REASON_LENGTH)]


class DetachFormCommand(_Command):
    """`/eni detach` with nothing after it: open the modal."""

    kind: Literal["detach_form"] = "detach_form"


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
    | HelpCommand
)


class CommandProblem(StrEnum):
    """Why a line did not parse (each has its words in `bot.slack.blocks.usage`)."""

    UNKNOWN_SUBCOMMAND = "unknown_subcommand"
    TWO_ENIS = "two_enis"
    TWO_INSTANCES = "two_instances"
    TWO_REGIONS = "two_regions"
    NOT_AN_ENI_ID = "not_an_eni_id"
    NOT_AN_INSTANCE_ID = "not_an_instance_id"
    UNKNOWN_REGION = "unknown_region"
    NO_ENI = "no_eni"
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
    earlier: str = ""  # TWO_*: the first of the two
    example: str = ""  # UNKNOWN_REGION: a region ID that would do (the default one)
    length: int = 0  # REASON_TOO_LONG: how long the reason is


def is_eni_id(token: str) -> bool:
    """True when `token` has the shape of an ENI ID."""
    return ENI_ID_RE.match(token) is not None


def is_instance_id(token: str) -> bool:
    """True when `token` has the shape of an instance ID."""
    return INSTANCE_ID_RE.match(token) is not None


def parse_request_id(token: str) -> int | None:
    """`42` or `#42` as a request ID; None when it is not one."""
    match = _REQUEST_ID_RE.match(token)
    if match is None:
        return None
    value = int(match.group(1))
    return value if 1 <= value <= MAX_REQUEST_ID else None


def clean_text(text: str) -> str:
    """Control characters (NUL included, which PostgreSQL refuses) become spaces; trimmed."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text).strip()


def parse_command(
    text: str, *, default_region: str, known_regions: Collection[str]
) -> ParsedCommand | CommandError:
    """Parse the text after `/eni` into a command, or a CommandError saying what is wrong."""
    line = clean_text(text)
    head, _, rest = line.partition(" ")
    word = head.lower()
    if word in ("", "help", "-h", "--help", "?"):
        return HelpCommand()
    try:
        sub = Subcommand(word)
    except ValueError:
        return CommandError(CommandProblem.UNKNOWN_SUBCOMMAND, token=head)
    rest = rest.strip()
    if sub is Subcommand.DETACH:
        return _parse_detach(rest, default_region=default_region, known_regions=known_regions)
    args = rest.split()
    if sub is Subcommand.HELP:
        return HelpCommand()
    if sub is Subcommand.STATUS:
        return _parse_status(args)
    if sub is Subcommand.LIST:
        return _parse_list(args)
    return _parse_request_command(sub, args)


def _parse_detach(
    rest: str, *, default_region: str, known_regions: Collection[str]
) -> DetachCommand | DetachFormCommand | CommandError:
    if not rest:
        return DetachFormCommand()
    eni_id: str | None = None
    instance_id: str | None = None
    region: str | None = None
    remaining = rest
    while remaining:
        token, _, after = remaining.partition(" ")
        if is_eni_id(token):
            if eni_id is not None and token != eni_id:
                return _detach_error(CommandProblem.TWO_ENIS, token, earlier=eni_id)
            eni_id = token
        elif is_instance_id(token):
            if instance_id is not None and token != instance_id:
                return _detach_error(CommandProblem.TWO_INSTANCES, token, earlier=instance_id)
            instance_id = token
        elif token in known_regions:
            if region is not None and token != region:
                return _detach_error(CommandProblem.TWO_REGIONS, token, earlier=region)
            region = token
        elif token.lower().startswith("eni-"):
            return _detach_error(CommandProblem.NOT_AN_ENI_ID, token)
        elif token.startswith("i-"):
            return _detach_error(CommandProblem.NOT_AN_INSTANCE_ID, token)
        elif _REGION_SHAPE_RE.match(token) and region is None:
            return _detach_error(CommandProblem.UNKNOWN_REGION, token, example=default_region)
        else:
            break
        remaining = after.lstrip()
    if eni_id is None:
        return _detach_error(CommandProblem.NO_ENI)
    reason = remaining.strip()
    if not reason:
        return _detach_error(CommandProblem.NO_REASON)
    if len(reason) > MAX_REASON_LENGTH:
        return CommandError(CommandProblem.REASON_TOO_LONG, Subcommand.DETACH, length=len(reason))
    return DetachCommand(
        eni_id=eni_id,
        instance_id=instance_id,
        region=region or default_region,
        region_given=region is not None,
        reason=reason,
    )


def _detach_error(
    problem: CommandProblem, token: str = "", *, earlier: str = "", example: str = ""
) -> CommandError:
    return CommandError(problem, Subcommand.DETACH, token=token, earlier=earlier, example=example)


def _parse_status(args: list[str]) -> StatusCommand | CommandError:
    if len(args) != 1:
        problem = CommandProblem.EXTRA_STATUS_ARGUMENTS if args else CommandProblem.NO_STATUS_TARGET
        return CommandError(problem, Subcommand.STATUS)
    token = args[0]
    if is_eni_id(token):
        return StatusCommand(eni_id=token)
    request_id = parse_request_id(token)
    if request_id is None:
        return CommandError(CommandProblem.NOT_A_STATUS_TARGET, Subcommand.STATUS, token=token)
    return StatusCommand(request_id=request_id)


def _parse_list(args: list[str]) -> ListCommand | CommandError:
    if not args:
        return ListCommand()
    if len(args) > 1:
        return CommandError(CommandProblem.EXTRA_LIST_ARGUMENTS, Subcommand.LIST)
    try:
        return ListCommand(scope=ListScope(args[0].lower()))
    except ValueError:
        return CommandError(CommandProblem.NOT_A_LIST_SCOPE, Subcommand.LIST, token=args[0])


def _parse_request_command(
    sub: Subcommand, args: list[str]
) -> CancelCommand | RetryCommand | CommandError:
    if len(args) != 1:
        problem = CommandProblem.EXTRA_REQUEST_ARGUMENTS if args else CommandProblem.NO_REQUEST_ID
        return CommandError(problem, sub)
    request_id = parse_request_id(args[0])
    if request_id is None:
        return CommandError(CommandProblem.NOT_A_REQUEST_ID, sub, token=args[0])
    if sub is Subcommand.CANCEL:
        return CancelCommand(request_id=request_id)
    return RetryCommand(request_id=request_id)
