"""`policy [REGION]`: which approval-policy rule covers each ENI of the simulated cloud.

The console's policy is the bot's own (ENIBOT_POLICY_FILE, e.g. `examples/policy.yml`, or the
one default rule), evaluated as a one-ENI detach of each ENI would be at `now`: the rule and
what it needs, a deny rule's message, "no rule", or a freeze in force. Pure: plain values in,
lines out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.policy import ApprovalPolicy, Governed, Operation, TargetFacts, evaluate, summary
from bot.sim.ecs.world import NetworkInterface

__all__ = ["coverage_lines"]


def _facts(eni: NetworkInterface) -> TargetFacts:
    return TargetFacts(
        eni_id=eni.eni_id,
        region=eni.region_id,
        tags=dict(eni.tags),
        vpc_id=eni.vpc_id or None,
        vswitch_id=eni.vswitch_id or None,
        instance_id=eni.instance_id,
    )


def coverage_lines(
    policy: ApprovalPolicy,
    enis: Mapping[str, Sequence[NetworkInterface]],
    *,
    names: Mapping[str, str],
    now: datetime,
) -> list[str]:
    """A header naming the file, then per region each ENI and what a detach of it would need."""

    def mention(approver: str) -> str:
        return f"@{names.get(approver, approver)}"

    source = policy.source or "the default rule (ENIBOT_APPROVERS; no ENIBOT_POLICY_FILE)"
    lines = [f"Approval policy: {source} ({summary(policy)})"]
    for region, region_enis in enis.items():
        lines.append(region)
        for eni in region_enis:
            decision = evaluate(policy, [_facts(eni)], Operation.DETACH, now)
            if isinstance(decision, Governed):
                said = decision.describe().text(mention=mention)
            else:
                said = "refused: " + " ".join(r.text() for r in decision.refusals)
            label = f" ({eni.name})" if eni.name else ""
            lines.append(f"  {eni.eni_id}{label}  {said}")
    return lines
