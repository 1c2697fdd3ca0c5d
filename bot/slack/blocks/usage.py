"""The `/eni` forms in words: the usage lines, `/eni help`, and what a line that did not parse gets.

The grammar (`bot.requests.commands`) returns a code and the words it is about; the sentence
naming the problem is chosen here, followed by the right form (the fix).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.requests.commands import (
    MAX_REASON_LENGTH,
    MAX_TAGS,
    CommandError,
    CommandProblem,
    Subcommand,
)
from bot.slack.blocks import kit
from bot.slack.blocks.kit import Message
from bot.slack.blocks.text import code, escape, shown

__all__ = ["DETACH_FORMS", "PROBLEM_WORDS", "USAGE", "command_error", "help_message", "usage"]

USAGE: Mapping[Subcommand, str] = {
    Subcommand.DETACH: "/eni detach <eni-id>… [<instance-id>] [<region-id>] <reason>",
    Subcommand.ATTACH: "/eni attach <eni-id>… [<instance-id>] [<region-id>] <reason>",
    Subcommand.REATTACH: "/eni reattach <request-id>",
    Subcommand.STATUS: "/eni status <request-id | eni-id>",
    Subcommand.LIST: "/eni list [mine | pending | open]",
    Subcommand.CANCEL: "/eni cancel <request-id>",
    Subcommand.RETRY: "/eni retry <request-id>",
    Subcommand.HELP: "/eni help",
}

# Every form of `/eni detach`: listed ENIs (USAGE's), an instance's ENIs, tagged ENIs.
DETACH_FORMS = (
    USAGE[Subcommand.DETACH],
    "/eni detach <instance-id> [<region-id>] <reason>",
    "/eni detach tag:<key>=<value>… [<instance-id>] [<region-id>] <reason>",
)

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
        f"{usage(Subcommand.DETACH)} — ask for one or more ENIs to be detached (approvers "
        "decide in this channel, once for all of them). IDs are recognised by shape in any "
        "order; the rest is the reason. No instance: each ENI's current one. No region: the "
        "default region.",
        f"{code(DETACH_FORMS[1])} — every secondary ENI of that instance.",
        f"{code(DETACH_FORMS[2])} — every attached secondary ENI carrying all those tags "
        "(on that instance only, when one is named). ENIs that cannot be detached are left "
        "out and listed on the card.",
        "`/eni detach` — the same, in a form.",
        f"{usage(Subcommand.ATTACH)} — ask for Available ENIs to be attached to an instance "
        "(approvers decide, as for a detach). No instance: each ENI goes back to the instance "
        "this bot last detached it from. `/eni attach` alone opens the form.",
        f"{usage(Subcommand.REATTACH)} — undo a finished detach request: one attach request "
        "puts each ENI it detached back on its instance (its requester or an approver; the "
        "Re-attach button on its last reply does the same).",
        f"{usage(Subcommand.STATUS)} — a request's state and full history.",
        f"{usage(Subcommand.LIST)} — requests, newest first (default: open ones).",
        f"{usage(Subcommand.CANCEL)} — withdraw a pending or approved request "
        "(its requester or an approver).",
        f"{usage(Subcommand.RETRY)} — re-initiate a detach or attach that is stuck (approvers).",
    ]
    return kit.message(
        "How to use /eni",
        [
            kit.section("*How to use `/eni`*\n" + "\n".join(f"• {line}" for line in lines)),
            kit.context(escape(_EXAMPLE)),
        ],
    )


# Each problem in words, filled from `_facts`: {typed} echoes the word as typed (it may be
# anything; {typed_earlier} likewise), {token} and {earlier} are IDs of a known shape.
PROBLEM_WORDS: Mapping[CommandProblem, str] = {
    CommandProblem.UNKNOWN_SUBCOMMAND: "{typed} is not an `/eni` subcommand.",
    CommandProblem.TWO_INSTANCES: (
        "Two instance IDs ({earlier}, {token}): name at most one; ask once per instance."
    ),
    CommandProblem.TWO_REGIONS: "Two regions ({earlier}, {token}): name at most one.",
    CommandProblem.NOT_AN_ENI_ID: "{typed} is not an ENI ID (eni-…).",
    CommandProblem.NOT_AN_INSTANCE_ID: "{typed} is not an instance ID (i-…).",
    CommandProblem.UNKNOWN_REGION: (
        "{typed} is not a region this bot knows; use a region ID such as {example}."
    ),
    CommandProblem.NO_ENI: (
        "Name the ENIs to detach (IDs start with `eni-`), or an instance (`i-…`) for all its "
        "secondary ENIs, or tags (`tag:&lt;key&gt;=&lt;value&gt;`) they carry."
    ),
    CommandProblem.NO_ENI_TO_ATTACH: (
        "Name the ENIs to attach (IDs start with `eni-`); an attach lists them one by one."
    ),
    CommandProblem.TAGS_NOT_FOR_ATTACH: (
        "{typed}: an attach lists its ENI IDs; it does not select by tag. Name the ENIs "
        "(`eni-…`) instead."
    ),
    CommandProblem.NOT_A_TAG: (
        "{typed} is not a tag selector; write it as `tag:&lt;key&gt;=&lt;value&gt;` with a key "
        "and a value (each at most 128 characters)."
    ),
    CommandProblem.TAG_TWICE: (
        "{typed_earlier} and {typed} name one tag key twice; no ENI carries both values. Keep one."
    ),
    CommandProblem.TOO_MANY_TAGS: (
        "At most {max_tags} tags per selection ({typed} is one too many); narrow it with an "
        "instance ID instead."
    ),
    CommandProblem.ENIS_WITH_TAGS: (
        "{typed_earlier} and {typed}: list ENI IDs or select by tag, not both. Drop the tags "
        "to detach exactly the listed ENIs, or the IDs to detach every ENI with those tags."
    ),
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
        "typed_earlier": shown(error.earlier),
        "example": code(error.example),
        "length": str(error.length),
        "limit": str(MAX_REASON_LENGTH),
        "max_tags": str(MAX_TAGS),
    }


def command_error(error: CommandError) -> Message:
    """A line that did not parse: the problem, then the right form (nothing was stored)."""
    if error.subcommand is Subcommand.DETACH:
        forms = list(DETACH_FORMS)
    elif error.subcommand is not None:
        forms = [USAGE[error.subcommand]]
    else:
        forms = list(USAGE.values())
    return kit.note(
        f":warning: {PROBLEM_WORDS[error.problem].format_map(_facts(error))}\n*Use:* "
        + "\n".join(code(form) for form in forms),
        kit.context("Nothing was stored. `/eni help` lists every command."),
    )
