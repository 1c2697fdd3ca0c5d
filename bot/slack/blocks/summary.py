"""The incident channel: one line per finished request, or a digest of several under bursts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.requests.states import Status
from bot.slack.blocks import kit, words
from bot.slack.blocks.kit import Message
from bot.slack.blocks.text import code, escape_inline

__all__ = ["DIGEST_MAX_ITEMS", "digest", "incident_summary"]

DIGEST_MAX_ITEMS = 100
_LINES_PER_SECTION = 20


def incident_summary(payload: Mapping[str, Any], request_id: int) -> Message:
    """One line for the incident channel: request ID, ENI, instance, outcome."""
    return kit.note(_summary_line(payload, request_id))


def digest(items: Sequence[tuple[int, Mapping[str, Any]]]) -> Message:
    """Several finished requests in one post (bursts), one line each, oldest first."""
    shown = list(items)[:DIGEST_MAX_ITEMS]
    counts: dict[str, int] = {}
    for _, p in shown:
        counts[str(p.get("status"))] = counts.get(str(p.get("status")), 0) + 1
    tally = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    head = f":package: {len(shown)} ENI detach requests finished ({tally})"
    lines = (_summary_line(p, rid) for rid, p in shown)
    blocks = [kit.section(f"*{head}*"), *kit.sections(lines, lines_per_section=_LINES_PER_SECTION)]
    return kit.message(head, blocks)


def _summary_line(payload: Mapping[str, Any], request_id: int) -> str:
    status = Status(str(payload.get("status")))
    eni = str(payload.get("eni_id") or "?")
    instance = str(payload.get("instance_id") or "?")
    region = str(payload.get("region") or "?")
    counts = payload.get("counts")
    if isinstance(counts, Mapping) and int(payload.get("enis") or 1) > 1:
        tally = ", ".join(f"{int(n)} {escape_inline(str(s), limit=20)}" for s, n in counts.items())
        return (
            f"{words.emoji(status)} Request #{request_id}: {int(payload['enis'])} ENIs "
            f"({escape_inline(region, limit=40)}) — {words.label(status)}: {tally}"
        )
    line = (
        f"{words.emoji(status)} Request #{request_id}: {code(eni)} on {code(instance)} "
        f"({escape_inline(region, limit=40)}) — {words.label(status)}"
    )
    if status is Status.FAILED and payload.get("error_code"):
        line += f", {code(str(payload['error_code']))}"
    if payload.get("ecs_request_id"):
        line += f", ECS request ID {code(str(payload['ecs_request_id']))}"
    return line
