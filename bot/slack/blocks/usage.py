"""The `/eni` forms in words: the usage lines, `/eni help`, and what a line that did not parse gets.

The grammar (`bot.requests.commands`) returns a code and the words it is about; the sentence
naming the problem is chosen here, followed by the right form (the fix).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.requests.commands import MAX_REASON_LENGTH, CommandError, CommandProblem, Subcommand
from bot.slack.blocks import kit
from bot.slack.blocks.kit import Message
from bot.slack.blocks.text import code, escape, shown

__all__ = ["PROBLEM_WORDS", "USAGE", "command_error", "help_message", "usage"]

USAGE: Mapping[Subcommand, str] = {
    Subcommand.DETACH: "/eni detach <eni-id> [<instance-id>] [<region-id>] <reason>",
    Subcommand.STATUS: "/eni status <request-id | eni-id>",
    Subcommand.LIST: "/eni list [mine | pending | open]",
    Subcommand.CANCEL: "/eni cancel <request-id>",
    Subcommand.RETRY: "/eni retry <request-id>",
    Subcommand.HELP: "/eni help",
}

_EXAMPLE = (
    "Example: `/eni detach eni-bp1d7r2k9m4x6c3v5n i-bp1a3f9k2m7x4q8w6e cn-hangzhou "
    "moving the app network to the new node`"
)


def usage(subcommand: Subcommand) -> str:
    """A usage line as inline code; `<eni-id>` is escaped so Slack does not read it as a link."""
    return code(USAGE[subcommand])


def help_message() -> Message:
    """`/eni` and `/eni help`: every form with one line on what it does."""
    lines = [
        f"{usage(Subcommand.DETACH)} — ask for an ENI to be detached (approvers decide in "
        "this channel). IDs are recognised by shape in any order; the rest is the reason. "
        "No instance: the ENI's current one. No region: the default region.",
        "`/eni detach` — the same, in a form.",
        f"{usage(Subcommand.STATUS)} — a request's state and full history.",
        f"{usage(Subcommand.LIST)} — requests, newest first (default: open ones).",
        f"{usage(Subcommand.CANCEL)} — withdraw a pending or approved request "
        "(its requester or an approver).",
        f"{usage(Subcommand.RETRY)} — re-initiate a detach that is stuck (approvers).",
    ]
    return kit.message(
        "How to use /eni",
        [
            kit.section("*How to use `/eni`*\n" + "\n".join(f"• {line}" for line in lines)),
            kit.context(escape(_EXAMPLE)),
        ],
    )


# Each problem in words, filled from `_facts`: {typed} echoes the word as typed (it may be
# anything), {token} and {earlier} are IDs of a known shape.
PROBLEM_WORDS: Mapping[CommandProblem, str] = {
    CommandProblem.UNKNOWN_SUBCOMMAND: "{typed} is not an `/eni` subcommand.",
    CommandProblem.TWO_ENIS: "Two ENI IDs ({earlier}, {token}): one request detaches one ENI.",
    CommandProblem.TWO_INSTANCES: "Two instance IDs ({earlier}, {token}): name at most one.",
    CommandProblem.TWO_REGIONS: "Two regions ({earlier}, {token}): name at most one.",
    CommandProblem.NOT_AN_ENI_ID: "{typed} is not an ENI ID (eni-…).",
    CommandProblem.NOT_AN_INSTANCE_ID: "{typed} is not an instance ID (i-…).",
    CommandProblem.UNKNOWN_REGION: (
        "{typed} is not a region this bot knows; use a region ID such as {example}."
    ),
    CommandProblem.NO_ENI: "Name the ENI to detach (its ID starts with `eni-`).",
    CommandProblem.NO_REASON: "Give a reason after the IDs; approvers read it before they decide.",
    CommandProblem.REASON_TOO_LONG: "The reason is {length} characters long; keep it to {limit}.",
    CommandProblem.NO_STATUS_TARGET: "Name one request ID (like `42` or `#42`) or one ENI ID.",
    CommandProblem.EXTRA_STATUS_ARGUMENTS: "Too many arguments: name one request ID or one ENI ID.",
    CommandProblem.NOT_A_STATUS_TARGET: (
        "{typed} is neither a request ID (like `42`) nor an ENI ID (eni-…)."
    ),
    CommandProblem.EXTRA_LIST_ARGUMENTS: "Too many arguments: choose one of mine, pending, open.",
    CommandProblem.NOT_A_LIST_SCOPE: "{typed} is not a list; choose mine, pending or open.",
    CommandProblem.NO_REQUEST_ID: "Name the request by its ID (like `42` or `#42`).",
    CommandProblem.EXTRA_REQUEST_ARGUMENTS: "Too many arguments: name one request ID.",
    CommandProblem.NOT_A_REQUEST_ID: (
        "{typed} is not a request ID; request IDs look like `42` or `#42`."
    ),
}


def _facts(error: CommandError) -> dict[str, str]:
    return {
        "typed": shown(error.token),
        "token": code(error.token),
        "earlier": code(error.earlier),
        "example": code(error.example),
        "length": str(error.length),
        "limit": str(MAX_REASON_LENGTH),
    }


def command_error(error: CommandError) -> Message:
    """A line that did not parse: the problem, then the right form (nothing was stored)."""
    forms = [USAGE[error.subcommand]] if error.subcommand else list(USAGE.values())
    return kit.note(
        f":warning: {PROBLEM_WORDS[error.problem].format_map(_facts(error))}\n*Use:* "
        + "\n".join(code(form) for form in forms),
        kit.context("Nothing was stored. `/eni help` lists every command."),
    )
