"""Pre-flight: everything checked before a detach request is stored, so a bad one never is.

Cheap checks first (who asks, which region, an open request already there), then ECS: the ENI
exists in that region, is a detachable kind, is attached to that instance and InUse (or already
Detaching); the instance is Running or Stopped. The outcome is data (`Passed` or `Refused` with a
`Problem`); `bot.slack.blocks.refusals` turns it into words. Runs after the ack, never inside it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackClientError

from bot import db
from bot.ecs.errors import EcsError
from bot.ecs.models import Instance, NetworkInterface
from bot.requests import repository, rules
from bot.requests.commands import DetachCommand
from bot.requests.repository import OpenRequestRef
from bot.requests.rules import Problem
from bot.requests.service import NewRequest, NewTarget
from bot.runtime import Runtime
from bot.slack.auth import People

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpenRequestInfo:
    """The request that already holds the ENI, and where to find its card."""

    ref: OpenRequestRef
    permalink: str | None = None


@dataclass(frozen=True)
class Refused:
    """Pre-flight said no; `facts` carries what the message needs (IDs, states, lists)."""

    problem: Problem
    command: DetachCommand
    facts: dict[str, Any] = field(default_factory=dict)
    existing: OpenRequestInfo | None = None
    error: EcsError | None = None


@dataclass(frozen=True)
class Passed:
    """Pre-flight said yes: the request to store, with what ECS said about the ENI."""

    new: NewRequest
    eni: NetworkInterface
    instance: Instance


def check(
    runtime: Runtime,
    people: People,
    command: DetachCommand,
    *,
    user_id: str,
    channel_id: str,
) -> Passed | Refused:
    """Run every check in order; the first failure is the answer."""
    settings = runtime.settings
    if not people.may_request(user_id):
        return Refused(Problem.NOT_A_REQUESTER, command)
    if command.region not in settings.allowed_regions:
        return Refused(
            Problem.REGION_NOT_ALLOWED,
            command,
            facts={"allowed": list(settings.allowed_regions)},
        )
    existing = open_request(runtime, command.eni_id)
    if existing is not None:
        return Refused(Problem.OPEN_REQUEST, command, existing=existing)
    try:
        return _check_with_ecs(runtime, command, user_id=user_id, channel_id=channel_id)
    except EcsError as exc:
        log.info("pre-flight ECS error code=%s request_id=%s", exc.code, exc.request_id)
        return Refused(Problem.ECS_ERROR, command, error=exc)


def open_request(runtime: Runtime, eni_id: str) -> OpenRequestInfo | None:
    """The open request on this ENI, with a link to its card when Slack gives one."""
    with db.read(runtime.sessions) as session:
        found = repository.find_open_for_eni(session, eni_id)
        if found is None:
            return None
        ref = OpenRequestRef(
            id=found.id,
            eni_id=eni_id,
            requester_id=found.requester_id,
            channel_id=found.channel_id,
            card_ts=found.card_ts,
            status=found.status,
        )
    return OpenRequestInfo(ref=ref, permalink=permalink(runtime, ref))


def permalink(runtime: Runtime, ref: OpenRequestRef) -> str | None:
    """A link to the request's card (None when the card is not posted or Slack says no)."""
    if not ref.card_ts:
        return None
    try:
        response = runtime.slack.chat_getPermalink(channel=ref.channel_id, message_ts=ref.card_ts)
    except SlackClientError as exc:
        log.info("chat.getPermalink failed for request %s: %s", ref.id, type(exc).__name__)
        return None
    link = response.get("permalink")
    return str(link) if isinstance(link, str) and link.startswith("https://") else None


def _check_with_ecs(
    runtime: Runtime, command: DetachCommand, *, user_id: str, channel_id: str
) -> Passed | Refused:
    region = command.region
    found = runtime.ecs.describe_network_interfaces(region, [command.eni_id])
    eni = next((e for e in found if e.eni_id == command.eni_id), None)
    if eni is None:
        return Refused(Problem.ENI_NOT_FOUND, command, facts={"region": region})
    problem = rules.eni_problem(eni, command.instance_id)
    if problem is not None:
        return Refused(problem[0], command, facts=problem[1])
    instance_id = eni.instance_id
    assert instance_id is not None  # eni_problem refuses an ENI that is not attached
    instances = runtime.ecs.describe_instances(region, [instance_id])
    instance = next((i for i in instances if i.instance_id == instance_id), None)
    problem = rules.instance_problem(instance, instance_id)
    if problem is not None:
        return Refused(problem[0], command, facts=problem[1])
    assert instance is not None  # instance_problem refuses a missing instance
    new = NewRequest(
        region=region,
        requester_id=user_id,
        channel_id=channel_id,
        reason=command.reason,
        targets=(
            NewTarget(
                eni_id=eni.eni_id, instance_id=instance_id, eni_snapshot=snapshot(eni, instance)
            ),
        ),
    )
    return Passed(new=new, eni=eni, instance=instance)


def snapshot(eni: NetworkInterface, instance: Instance) -> dict[str, Any]:
    """The ENI's live details as stored with the request and shown on its card."""
    return {
        "name": eni.name,
        "description": eni.description,
        "status": eni.status_raw or eni.status.value,
        "type": eni.type_raw or eni.type.value,
        "private_ip": eni.private_ip,
        "vpc_id": eni.vpc_id,
        "vswitch_id": eni.vswitch_id,
        "zone_id": eni.zone_id,
        "security_group_ids": list(eni.security_group_ids),
        "tags": dict(eni.tags),
        "mac": eni.mac,
        "device_index": eni.device_index,
        "instance_name": instance.name,
        "instance_status": instance.status_raw or instance.status.value,
        "instance_type": instance.instance_type,
    }
