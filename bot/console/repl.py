"""The console's line grammar: what a person may type, parsed into plain command values.

Pure functions, no I/O, so the grammar is tested on its own and the same parser serves the
prompt, scripts and the demo.

    /eni …                         the slash command, sent as the current user
    as @lead | as lead | as U…     switch the current user
    click approve|reject|retry N   press that button on request N's card (or its thread)
    click reattach N               press Re-attach (undo) on finished detach N's last reply
    home                           open the bot's App Home tab as the current user
    world [REGION]                 the simulator's instances and ENIs, their states and tags
    policy [REGION]                which approval-policy rule covers each ENI
    fault …                        make the simulator misbehave (see FAULT_USAGE)
    help | quit                    this list | leave
    # …                            a comment (scripts); blank lines are ignored
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "FAULT_USAGE",
    "ClickAction",
    "ClickCommand",
    "Command",
    "FaultCommand",
    "FaultKind",
    "HelpCommand",
    "HomeCommand",
    "ParseError",
    "PolicyCommand",
    "QuitCommand",
    "SlashCommand",
    "SwitchUserCommand",
    "WorldCommand",
    "parse_line",
]

SLASH = "/eni"
_REQUEST_ID = re.compile(r"#?(\d{1,9})")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_HANDLE = re.compile(r"@?([a-z][a-z0-9._-]*)")
_ENI = re.compile(r"eni-[a-z0-9]+")
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9.]*")
_REGION = re.compile(r"[a-z]{2}(-[a-z0-9]+)+")

FAULT_USAGE = (
    "fault throttle [N] | fault 5xx [N] | fault latency SECONDS [N] | fault stuck ENI [N] | "
    "fault error CODE [ENI] [N] | fault list | fault clear"
)


class ParseError(ValueError):
    """A line the console does not understand; the message says what would be understood."""


@dataclass(frozen=True)
class SlashCommand:
    """`/eni <text>` typed in the channel."""

    text: str


@dataclass(frozen=True)
class SwitchUserCommand:
    """`as @handle` or `as U…`: who types the next lines."""

    who: str  # a handle without "@" (lower case) or a user ID


class ClickAction(StrEnum):
    """Buttons a person can press by typing; values are the words typed."""

    APPROVE = "approve"
    REJECT = "reject"
    RETRY = "retry"
    REATTACH = "reattach"  # the undo button on a finished detach request's last reply


@dataclass(frozen=True)
class ClickCommand:
    """`click <action> <request id>`."""

    action: ClickAction
    request_id: int


@dataclass(frozen=True)
class HomeCommand:
    """`home`: open the App Home tab."""


@dataclass(frozen=True)
class WorldCommand:
    """`world [REGION]`."""

    region: str | None = None


@dataclass(frozen=True)
class PolicyCommand:
    """`policy [REGION]`."""

    region: str | None = None


class FaultKind(StrEnum):
    """Simulator faults the console can inject; values are the words typed."""

    THROTTLE = "throttle"
    SERVER_ERROR = "5xx"
    LATENCY = "latency"
    STUCK = "stuck"
    ERROR = "error"
    LIST = "list"
    CLEAR = "clear"


@dataclass(frozen=True)
class FaultCommand:
    """`fault …`, with the arguments that kind takes (the others stay None)."""

    kind: FaultKind
    times: int = 1
    seconds: float | None = None
    eni_id: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class HelpCommand:
    """`help`."""


@dataclass(frozen=True)
class QuitCommand:
    """`quit` (or `exit`)."""


Command = (
    SlashCommand
    | SwitchUserCommand
    | ClickCommand
    | HomeCommand
    | WorldCommand
    | PolicyCommand
    | FaultCommand
    | HelpCommand
    | QuitCommand
)


def parse_line(line: str) -> Command | None:
    """One typed line as a command; None for blank lines and comments; ParseError otherwise."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    if stripped.startswith("/"):
        return _parse_slash(stripped)
    word, _, rest = stripped.partition(" ")
    args = rest.split()
    word = word.lower()
    if word == "as":
        return _parse_as(args)
    if word == "click":
        return _parse_click(args)
    if word == "fault":
        return _parse_fault(args)
    if word == "world":
        return _parse_world(args)
    if word == "policy":
        return PolicyCommand(_parse_world(args).region)
    if word in ("help", "?") and not args:
        return HelpCommand()
    if word in ("quit", "exit") and not args:
        return QuitCommand()
    if word == "home" and not args:
        return HomeCommand()
    if word == "eni":
        raise ParseError(f"slash commands start with a slash: try `/{stripped}`")
    raise ParseError(f"unknown command {word!r}; type `help` for what the console understands")


def _parse_slash(line: str) -> SlashCommand:
    command, _, text = line.partition(" ")
    if command.lower() != SLASH:
        raise ParseError(f"the bot's only slash command is {SLASH} (got {command})")
    return SlashCommand(text.strip())


def _parse_as(args: list[str]) -> SwitchUserCommand:
    if len(args) != 1:
        raise ParseError("usage: as @handle  (or as U…, a Slack user ID)")
    token = args[0]
    if _USER_ID.fullmatch(token):
        return SwitchUserCommand(token)
    handle = _HANDLE.fullmatch(token.lower())
    if handle is None:
        raise ParseError(f"{token!r} is neither @handle nor a user ID like U0LEAD")
    return SwitchUserCommand(handle.group(1))


def _parse_click(args: list[str]) -> ClickCommand:
    usage = "usage: click approve|reject|retry|reattach N  (N: the request number on the card)"
    if len(args) != 2:
        raise ParseError(usage)
    try:
        action = ClickAction(args[0].lower())
    except ValueError:
        raise ParseError(usage) from None
    number = _REQUEST_ID.fullmatch(args[1])
    if number is None:
        raise ParseError(usage)
    return ClickCommand(action, int(number.group(1)))


def _parse_world(args: list[str]) -> WorldCommand:
    if not args:
        return WorldCommand()
    if len(args) == 1 and _REGION.fullmatch(args[0]):
        return WorldCommand(args[0])
    raise ParseError("usage: world [REGION]  (e.g. world cn-shanghai)")


def _times(token: str | None) -> int:
    if token is None:
        return 1
    if not token.isdigit() or not 1 <= int(token) <= 1000:
        raise ParseError(f"{token!r} is not a count between 1 and 1000")
    return int(token)


def _parse_fault(args: list[str]) -> FaultCommand:
    usage = f"usage: {FAULT_USAGE}"
    if not args:
        return FaultCommand(FaultKind.LIST)
    try:
        kind = FaultKind(args[0].lower())
    except ValueError:
        raise ParseError(usage) from None
    rest = args[1:]
    if kind in (FaultKind.LIST, FaultKind.CLEAR):
        if rest:
            raise ParseError(usage)
        return FaultCommand(kind)
    if kind in (FaultKind.THROTTLE, FaultKind.SERVER_ERROR):
        if len(rest) > 1:
            raise ParseError(usage)
        return FaultCommand(kind, times=_times(rest[0] if rest else None))
    if kind is FaultKind.LATENCY:
        if not 1 <= len(rest) <= 2:
            raise ParseError(usage)
        try:
            seconds = float(rest[0])
        except ValueError:
            raise ParseError(f"{rest[0]!r} is not a number of seconds") from None
        if not 0 < seconds <= 60:
            raise ParseError("latency must be between 0 and 60 seconds")
        return FaultCommand(kind, seconds=seconds, times=_times(rest[1] if len(rest) > 1 else None))
    if kind is FaultKind.STUCK:
        if not 1 <= len(rest) <= 2 or not _ENI.fullmatch(rest[0]):
            raise ParseError("usage: fault stuck ENI [N]  (the ENI ignores the next N detaches)")
        return FaultCommand(kind, eni_id=rest[0], times=_times(rest[1] if len(rest) > 1 else None))
    # FaultKind.ERROR
    if not 1 <= len(rest) <= 3 or not _CODE.fullmatch(rest[0]):
        raise ParseError("usage: fault error CODE [ENI] [N]  (e.g. fault error Forbidden.RAM)")
    extra = rest[1:]
    eni_id = extra.pop(0) if extra and _ENI.fullmatch(extra[0]) else None
    if extra and not extra[0].isdigit():
        raise ParseError(f"{extra[0]!r} is not an ENI ID (eni-…)")
    if len(extra) > 1:
        raise ParseError("usage: fault error CODE [ENI] [N]  (N: how many calls get the error)")
    times = _times(extra[0] if extra else None)
    return FaultCommand(kind, code=rest[0], eni_id=eni_id, times=times)
