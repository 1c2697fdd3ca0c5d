"""Pre-flight of an attach: everything checked before an attach request is stored.

CONTRACT.md, "Attach and re-attach": every listed ENI exists, is Available, is secondary and
not managed by a cloud service; the instance it goes to exists in that region, is Running or
Stopped, and is in the ENI's VPC and zone. Where an ENI goes is the instance named in the
command, or (none named) the instance this bot last detached that ENI from; an undo passes each
ENI's own instance (`destinations`). Any problem refuses the whole command, naming each; an ENI
held by an open request is refused with that request, as for a detach. The outcome is
`bot.requests.preflight`'s `Passed` or `Refused`, so the Slack layer words both alike.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence

from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.ecs.errors import EcsError
from bot.ecs.models import Instance, NetworkInterface
from bot.requests import repository, rules
from bot.requests.commands import DetachCommand
from bot.requests.ports import Ecs
from bot.requests.preflight import EniProblem, Passed, Refused, open_requests, snapshot
from bot.requests.repository import OpenRequestRef
from bot.requests.rules import Problem
from bot.requests.schemas import NewRequest, NewTarget

__all__ = ["check", "destinations_of", "listed"]

log = logging.getLogger(__name__)


def check(
    sessions: sessionmaker[Session],
    ecs: Ecs,
    command: DetachCommand,
    *,
    requester_id: str,
    channel_id: str,
    allowed_regions: Collection[str],
    max_enis: int,
    destinations: Mapping[str, str] | None = None,
    undo_of: int | None = None,
) -> Passed | Refused:
    """Run every check of an attach, cheap ones first; the answer names every problem found.

    `destinations` (an undo): where each ENI goes, instead of the command's instance or the
    history; `undo_of`: the detach request an undo puts back (stored with the request).
    """
    if command.operation != "attach":
        raise ValueError("an attach pre-flight of a detach command")
    if command.region not in allowed_regions:
        allowed = {"allowed": list(allowed_regions)}
        return Refused(Problem.REGION_NOT_ALLOWED, command, facts=allowed, undo_of=undo_of)
    if len(command.eni_ids) > max_enis:
        size = {"selected": len(command.eni_ids), "limit": max_enis}
        return Refused(Problem.TOO_MANY_ENIS, command, facts=size, undo_of=undo_of)

    def answer(
        going: Mapping[str, str],
        enis: Sequence[NetworkInterface],
        instances: Sequence[Instance],
    ) -> Passed | Refused:
        return listed(
            command,
            going,
            enis,
            instances,
            held,
            requester_id=requester_id,
            channel_id=channel_id,
            undo_of=undo_of,
        )

    held = open_requests(sessions, command.eni_ids)
    if len(command.eni_ids) == 1 and held:
        # One ENI already held: that is the whole answer, without asking ECS anything.
        return answer({}, [], [])
    wanted = [e for e in command.eni_ids if e not in held]
    going = (
        dict(destinations)
        if destinations is not None
        else destinations_of(sessions, command, wanted)
    )
    try:
        enis = ecs.describe_network_interfaces(command.region, wanted) if wanted else []
        # Only the instances of ENIs that pass their own checks are asked about.
        asked = sorted(
            {going[e.eni_id] for e in enis if e.eni_id in going and not rules.attach_eni_problem(e)}
        )
        instances = ecs.describe_instances(command.region, asked) if asked else []
    except EcsError as exc:
        log.info("attach pre-flight ECS error code=%s request_id=%s", exc.code, exc.request_id)
        return Refused(Problem.ECS_ERROR, command, error=exc, undo_of=undo_of)
    return answer(going, enis, instances)


def destinations_of(
    sessions: sessionmaker[Session], command: DetachCommand, eni_ids: Sequence[str]
) -> dict[str, str]:
    """Where each ENI goes: the named instance, else the one this bot last detached it from."""
    if command.instance_id is not None:
        return dict.fromkeys(eni_ids, command.instance_id)
    with db.read(sessions) as session:
        return repository.last_detached_from(session, eni_ids)


# ---------------------------------------------------------------------------- the rule (pure)


def listed(
    command: DetachCommand,
    destinations: Mapping[str, str],
    enis: Sequence[NetworkInterface],
    instances: Sequence[Instance],
    held: Mapping[str, OpenRequestRef],
    *,
    requester_id: str,
    channel_id: str,
    undo_of: int | None = None,
) -> Passed | Refused:
    """Every listed ENI attachable to its instance, or a refusal naming each one that is not."""
    by_id = {e.eni_id: e for e in enis}
    by_instance = {i.instance_id: i for i in instances}
    problems: list[EniProblem] = []
    targets: list[NewTarget] = []
    for eni_id in command.eni_ids:
        if eni_id in held:
            problems.append(EniProblem(eni_id, Problem.OPEN_REQUEST, existing=held[eni_id]))
            continue
        eni = by_id.get(eni_id)
        if eni is None:
            problems.append(EniProblem(eni_id, Problem.ENI_NOT_FOUND, {"region": command.region}))
            continue
        problem = rules.attach_eni_problem(eni)
        instance_id = destinations.get(eni_id)
        instance = by_instance.get(instance_id) if instance_id is not None else None
        if problem is None and instance_id is None:
            problem = Problem.NO_INSTANCE_TO_RETURN_TO, {}
        if problem is None and instance_id is not None:
            problem = rules.attach_instance_problem(eni, instance, instance_id)
        if problem is not None:
            problems.append(EniProblem(eni_id, problem[0], problem[1]))
            continue
        assert instance is not None and instance_id is not None  # the checks above found both
        targets.append(NewTarget(eni_id, instance_id, snapshot(eni, instance)))
    if problems:
        first = problems[0]
        return Refused(
            first.problem,
            command,
            facts=dict(first.facts),
            existing=first.existing,
            problems=tuple(problems),
            undo_of=undo_of,
        )
    new = NewRequest(
        operation="attach",
        undo_of=undo_of,
        region=command.region,
        requester_id=requester_id,
        channel_id=channel_id,
        reason=command.reason,
        targets=tuple(targets),
    )
    return Passed(new)
