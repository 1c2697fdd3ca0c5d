"""The `/eni` grammar: turn what a person typed into a command, or into an error that helps.

Pure (no Slack, no database, no clock) so it can be property-tested. `detach` recognises its
tokens by shape anywhere before the reason: `eni-…` is an ENI (several may be listed; a repeated
ID counts once), `i-…` the instance, `tag:<key>=<value>` a tag every selected ENI must carry, a
known region ID the region; the first token that is none of these starts the reason, which runs
to the end of the line. What is detached is either the listed ENIs (all attached to the instance,
when one is named) or a selection: no ENI ID and an instance (its secondary ENIs), or tags
(optionally narrowed by an instance). Listed IDs and tags together are refused
(`ENIS_WITH_TAGS`): a listed ID is a promise that exactly that ENI goes, a tag a question put to
ECS, and a line that mixes them could mean "these, if tagged" or "these, and the tagged ones";
the refusal asks for one or the other. An error is a code and the words it is about
(`CommandError`), never a sentence: `bot.slack.blocks.usage` says it in words, with the right
form.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.requests.tokens import (
    ENI_ID_RE,
    INSTANCE_ID_RE,
    MAX_REASON_LENGTH,
    MAX_REQUEST_ID,
    MAX_TAGS,
    REGION_SHAPE_RE,
    TAG_PREFIX,
    TagFilter,
    clean_text,
    is_eni_id,
    is_instance_id,
    is_tag_token,
    parse_request_id,
    parse_tag,
    selector_text,
    split_list,
)

__all__ = [
    "MAX_REASON_LENGTH",
    "MAX_REQUEST_ID",
    "MAX_TAGS",
    "TAG_PREFIX",
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
    "TagFilter",
    "clean_text",
    "is_eni_id",
    "is_instance_id",
    "parse_command",
    "parse_request_id",
    "parse_tag",
    "selector_text",
    "split_list",
]


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


EniId = Annotated[str, Field(pattern=ENI_ID_RE.pattern)]


class DetachCommand(_Command):
    """`/eni detach` with its arguments: what to detach (listed ENIs or a selection), where, why.

    Listed ENIs (`eni_ids`) are taken as they are: a problem with any refuses the command. With
    none listed, the command selects: the secondary ENIs of `instance_id`, or those carrying
    every tag of `tags` (in `instance_id` only, when it is named).
    """

    kind: Literal[Subcommand.DETACH] = Subcommand.DETACH
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
    TWO_INSTANCES = "two_instances"
    TWO_REGIONS = "two_regions"
    NOT_AN_ENI_ID = "not_an_eni_id"
    NOT_AN_INSTANCE_ID = "not_an_instance_id"
    UNKNOWN_REGION = "unknown_region"
    NO_ENI = "no_eni"
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
    eni_ids: dict[str, None] = {}  # insertion-ordered set: a repeated ID counts once
    tags: dict[str, str] = {}
    instance_id: str | None = None
    region: str | None = None
    remaining = rest
    while remaining:
        token, _, after = remaining.partition(" ")
        if is_eni_id(token):
            if tags:
                return _detach_error(CommandProblem.ENIS_WITH_TAGS, token, earlier=_first(tags))
            eni_ids.setdefault(token)
        elif is_instance_id(token):
            if instance_id is not None and token != instance_id:
                return _detach_error(CommandProblem.TWO_INSTANCES, token, earlier=instance_id)
            instance_id = token
        elif token in known_regions:
            if region is not None and token != region:
                return _detach_error(CommandProblem.TWO_REGIONS, token, earlier=region)
            region = token
        elif is_tag_token(token):
            problem = _add_tag(token, tags, eni_ids)
            if problem is not None:
                return problem
        elif token.lower().startswith("eni-"):
            return _detach_error(CommandProblem.NOT_AN_ENI_ID, token)
        elif token.startswith("i-"):
            return _detach_error(CommandProblem.NOT_AN_INSTANCE_ID, token)
        elif REGION_SHAPE_RE.match(token) and region is None:
            return _detach_error(CommandProblem.UNKNOWN_REGION, token, example=default_region)
        else:
            break
        remaining = after.lstrip()
    if not (eni_ids or tags or instance_id):
        return _detach_error(CommandProblem.NO_ENI)
    reason = remaining.strip()
    if not reason:
        return _detach_error(CommandProblem.NO_REASON)
    if len(reason) > MAX_REASON_LENGTH:
        return CommandError(CommandProblem.REASON_TOO_LONG, Subcommand.DETACH, length=len(reason))
    return DetachCommand(
        eni_ids=tuple(eni_ids),
        instance_id=instance_id,
        tags=tuple(tags.items()),
        region=region or default_region,
        region_given=region is not None,
        reason=reason,
    )


def _add_tag(token: str, tags: dict[str, str], eni_ids: Mapping[str, None]) -> CommandError | None:
    """Add `tag:key=value` to `tags`, or say why it cannot be."""
    parsed = parse_tag(token)
    if parsed is None:
        return _detach_error(CommandProblem.NOT_A_TAG, token)
    if eni_ids:
        return _detach_error(CommandProblem.ENIS_WITH_TAGS, token, earlier=next(iter(eni_ids)))
    key, value = parsed
    held = tags.get(key)
    if held is not None and held != value:
        return _detach_error(
            CommandProblem.TAG_TWICE, token, earlier=selector_text([(key, held)], None)
        )
    if held is None and len(tags) >= MAX_TAGS:
        return _detach_error(CommandProblem.TOO_MANY_TAGS, token)
    tags[key] = value
    return None


def _first(tags: Mapping[str, str]) -> str:
    key, value = next(iter(tags.items()))
    return selector_text([(key, value)], None)


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
