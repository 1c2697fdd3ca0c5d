"""The `/eni` grammar: turn what a person typed into a command, or into an error that helps.

Pure (no Slack, no database, no clock) so it can be property-tested. `detach` and `attach`
recognise their tokens by shape anywhere before the reason: `eni-…` is an ENI (several may be
listed; a repeated ID counts once), `i-…` the instance, `tag:<key>=<value>` a tag every selected
ENI must carry (detach only), a known region ID the region; the first token that is none of
these starts the reason, which runs to the end of the line. What is detached is either the
listed ENIs (all attached to the instance, when one is named) or a selection: no ENI ID and an
instance (its secondary ENIs), or tags (optionally narrowed by an instance). Listed IDs and tags
together are refused (`ENIS_WITH_TAGS`): a listed ID is a promise that exactly that ENI goes, a
tag a question put to ECS, and a line that mixes them could mean "these, if tagged" or "these,
and the tagged ones"; the refusal asks for one or the other. An attach lists its ENIs: a tag
is refused (`TAGS_NOT_FOR_ATTACH`) rather than read as the reason, and the instance is where
they go (none: each back where this bot last detached it from). The values are
`bot.requests.command_types`'.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from bot.requests.command_types import (
    CancelCommand,
    CommandError,
    CommandProblem,
    DetachCommand,
    DetachFormCommand,
    HelpCommand,
    ListCommand,
    ListScope,
    Operation,
    ParsedCommand,
    ReattachCommand,
    RetryCommand,
    StatusCommand,
    Subcommand,
)
from bot.requests.tokens import (
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
    "Operation",
    "ParsedCommand",
    "ReattachCommand",
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
    if sub in (Subcommand.DETACH, Subcommand.ATTACH):
        return _parse_ids(sub, rest, default_region=default_region, known_regions=known_regions)
    args = rest.split()
    if sub is Subcommand.HELP:
        return HelpCommand()
    if sub is Subcommand.STATUS:
        return _parse_status(args)
    if sub is Subcommand.LIST:
        return _parse_list(args)
    return _parse_request_command(sub, args)


def _parse_ids(
    sub: Subcommand, rest: str, *, default_region: str, known_regions: Collection[str]
) -> DetachCommand | DetachFormCommand | CommandError:
    """`detach` or `attach`: the same tokens, but an attach lists its ENIs (no selection)."""
    operation: Operation = "attach" if sub is Subcommand.ATTACH else "detach"
    if not rest:
        return DetachFormCommand(operation=operation)
    eni_ids: dict[str, None] = {}  # insertion-ordered set: a repeated ID counts once
    tags: dict[str, str] = {}
    instance_id: str | None = None
    region: str | None = None
    remaining = rest
    while remaining:
        token, _, after = remaining.partition(" ")
        if is_eni_id(token):
            if tags:
                return _error(sub, CommandProblem.ENIS_WITH_TAGS, token, earlier=_first(tags))
            eni_ids.setdefault(token)
        elif is_instance_id(token):
            if instance_id is not None and token != instance_id:
                return _error(sub, CommandProblem.TWO_INSTANCES, token, earlier=instance_id)
            instance_id = token
        elif token in known_regions:
            if region is not None and token != region:
                return _error(sub, CommandProblem.TWO_REGIONS, token, earlier=region)
            region = token
        elif is_tag_token(token):
            if operation == "attach":
                return _error(sub, CommandProblem.TAGS_NOT_FOR_ATTACH, token)
            problem = _add_tag(token, tags, eni_ids)
            if problem is not None:
                return problem
        elif token.lower().startswith("eni-"):
            return _error(sub, CommandProblem.NOT_AN_ENI_ID, token)
        elif token.startswith("i-"):
            return _error(sub, CommandProblem.NOT_AN_INSTANCE_ID, token)
        elif REGION_SHAPE_RE.match(token) and region is None:
            return _error(sub, CommandProblem.UNKNOWN_REGION, token, example=default_region)
        else:
            break
        remaining = after.lstrip()
    if operation == "attach" and not eni_ids:
        return _error(sub, CommandProblem.NO_ENI_TO_ATTACH)
    if not (eni_ids or tags or instance_id):
        return _error(sub, CommandProblem.NO_ENI)
    reason = remaining.strip()
    if not reason:
        return _error(sub, CommandProblem.NO_REASON)
    if len(reason) > MAX_REASON_LENGTH:
        return CommandError(CommandProblem.REASON_TOO_LONG, sub, length=len(reason))
    return DetachCommand(
        operation=operation,
        eni_ids=tuple(eni_ids),
        instance_id=instance_id,
        tags=tuple(tags.items()),
        region=region or default_region,
        region_given=region is not None,
        reason=reason,
    )


def _add_tag(token: str, tags: dict[str, str], eni_ids: Mapping[str, None]) -> CommandError | None:
    """Add `tag:key=value` to `tags`, or say why it cannot be (tags are detach's alone)."""
    sub = Subcommand.DETACH
    parsed = parse_tag(token)
    if parsed is None:
        return _error(sub, CommandProblem.NOT_A_TAG, token)
    if eni_ids:
        return _error(sub, CommandProblem.ENIS_WITH_TAGS, token, earlier=next(iter(eni_ids)))
    key, value = parsed
    held = tags.get(key)
    if held is not None and held != value:
        return _error(
            sub, CommandProblem.TAG_TWICE, token, earlier=selector_text([(key, held)], None)
        )
    if held is None and len(tags) >= MAX_TAGS:
        return _error(sub, CommandProblem.TOO_MANY_TAGS, token)
    tags[key] = value
    return None


def _first(tags: Mapping[str, str]) -> str:
    key, value = next(iter(tags.items()))
    return selector_text([(key, value)], None)


def _error(
    sub: Subcommand,
    problem: CommandProblem,
    token: str = "",
    *,
    earlier: str = "",
    example: str = "",
) -> CommandError:
    return CommandError(problem, sub, token=token, earlier=earlier, example=example)


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
) -> CancelCommand | RetryCommand | ReattachCommand | CommandError:
    if len(args) != 1:
        problem = CommandProblem.EXTRA_REQUEST_ARGUMENTS if args else CommandProblem.NO_REQUEST_ID
        return CommandError(problem, sub)
    request_id = parse_request_id(args[0])
    if request_id is None:
        return CommandError(CommandProblem.NOT_A_REQUEST_ID, sub, token=args[0])
    if sub is Subcommand.CANCEL:
        return CancelCommand(request_id=request_id)
    if sub is Subcommand.REATTACH:
        return ReattachCommand(request_id=request_id)
    return RetryCommand(request_id=request_id)
