"""Why a selection left an ENI out, in a few words: the card and the pre-flight answer use it."""

from __future__ import annotations

from collections.abc import Mapping

from bot.requests.rules import Problem
from bot.requests.schemas import LeftOut
from bot.slack.blocks.text import code, escape_inline

__all__ = ["LEFT_OUT_WORDS", "left_out_line"]


# Why a selection left an ENI out, in a few words (filled from the left-out entry's facts).
LEFT_OUT_WORDS: Mapping[Problem, str] = {
    Problem.OPEN_REQUEST: "already in open request *#{request_id}*",
    Problem.PRIMARY_ENI: "the instance's primary ENI",
    Problem.MEMBER_ENI: "a member of a trunk ENI",
    Problem.SERVICE_MANAGED: "managed by another Alibaba Cloud service",
    Problem.NOT_ATTACHED: "not attached ({status})",
    Problem.ATTACHED_ELSEWHERE: "attached to another instance",
    Problem.ENI_STATE: "{status}, not InUse",
    Problem.INSTANCE_NOT_FOUND: "its instance {instance} was not found",
    Problem.INSTANCE_STATE: "its instance {instance} is {instance_status}",
    Problem.NOT_AVAILABLE: "{status}, not Available",
    Problem.VPC_MISMATCH: "in another VPC than the instance",
    Problem.ZONE_MISMATCH: "in another zone than the instance",
    Problem.NO_INSTANCE_TO_RETURN_TO: "never detached by this bot",
}


def left_out_line(left: LeftOut) -> str:
    """One left-out ENI: its ID, name or private IP, and why it was left out."""
    facts = left.facts
    label = facts.get("name") or facts.get("private_ip")
    named = (
        f"{code(left.eni_id)} ({escape_inline(str(label), limit=60)})"
        if label
        else code(left.eni_id)
    )
    try:
        template = LEFT_OUT_WORDS[Problem(left.problem)]
    except (ValueError, KeyError):
        template = "cannot be detached"
    values = {
        "request_id": str(facts.get("request_id")),
        "status": code(str(facts.get("status"))),
        "instance": code(str(facts.get("instance_id"))),
        "instance_status": code(str(facts.get("instance_status"))),
    }
    return f"• {named}: {template.format_map(values)}"
