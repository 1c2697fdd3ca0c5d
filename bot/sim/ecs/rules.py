"""The refusals of DetachNetworkInterface and AttachNetworkInterface, as ECS documents them.

Pure checks over resources the World has already found and settled (it calls them under its
lock and passes the few facts they need from elsewhere in the world): each raises the SimError
ECS would answer with, in the order a caller would most usefully see them, or returns.
"""

from __future__ import annotations

from bot.sim.ecs.codes import SimError
from bot.sim.ecs.resources import (
    EniStatus,
    EniType,
    Instance,
    InstanceStatus,
    InstanceTypeSpec,
    NetworkInterface,
)

__all__ = ["check_attachable", "check_detachable"]

_TAKES_CHANGES = (InstanceStatus.RUNNING, InstanceStatus.STOPPED)


def check_detachable(
    eni: NetworkInterface,
    instance: Instance,
    *,
    spec: InstanceTypeSpec,
    trunk: NetworkInterface | None,
    members: list[str],
) -> None:
    """The seed's refusals; `trunk` is a Member ENI's trunk, `members` a Trunk's busy members."""
    eni_id, instance_id = eni.eni_id, instance.instance_id
    if eni.type is EniType.PRIMARY:
        raise SimError(
            "InvalidOperation.DetachPrimaryEniNotAllowed",
            f"The primary network interface {eni_id} cannot be detached.",
        )
    _check_not_service_managed(eni)
    if eni.instance_id is not None and eni.instance_id != instance_id:
        raise SimError(
            "InvalidParameter.EniNotBelongEcs",
            f"The network interface {eni_id} is not attached to instance {instance_id}.",
        )
    if eni.linked:
        raise SimError(
            "InvalidOperation.EniLinked",
            f"The network interface {eni_id} is associated with other network interfaces.",
        )
    if eni.type is EniType.MEMBER:
        if trunk is None or trunk.status is not EniStatus.IN_USE:
            state = trunk.status if trunk else "missing"
            raise SimError(
                "InvalidOperation.InvalidTrunkEniStatus",
                f"The trunk network interface {eni.trunk_id} is {state}.",
            )
        raise SimError(
            "InvalidOperation.InvalidEniType",
            f"The network interface {eni_id} of type Member is detached from its trunk, "
            "not from an instance.",
        )
    _check_no_members(eni, members)
    _check_instance_state(instance)
    if eni.status not in (EniStatus.IN_USE, EniStatus.DETACHING):
        raise SimError(
            "InvalidOperation.InvalidEniState",
            f"The network interface {eni_id} is {eni.status}; it must be InUse or Detaching.",
        )
    if instance.status is InstanceStatus.RUNNING and not spec.eni_hot_plug:
        raise SimError(
            "InvalidOperation.HotPlugNotSupport",
            f"The instance type {instance.instance_type} does not support hot plugging of "
            "network interfaces; stop the instance first.",
        )


def check_attachable(
    eni: NetworkInterface,
    instance: Instance,
    *,
    spec: InstanceTypeSpec,
    members: list[str],
    attached: int,
) -> None:
    """AttachNetworkInterface's refusals; `attached` counts the ENIs the instance holds now.

    The documented preconditions: the ENI is Available, Secondary (or Trunk) and not managed by
    a service; the instance is Running or Stopped (Stopped for types without hot-plug), of a
    family that takes ENIs, in the ENI's VPC and zone, with room for one more ENI and for the
    ENI's addresses.
    """
    eni_id, instance_id = eni.eni_id, instance.instance_id
    if eni.type is EniType.PRIMARY:
        raise SimError(
            "InvalidOperation.DetachPrimaryEniNotAllowed",
            f"The primary network interface {eni_id} cannot be moved to another instance.",
        )
    _check_not_service_managed(eni)
    if eni.type is EniType.MEMBER:
        raise SimError(
            "InvalidOperation.InvalidEniType",
            f"The network interface {eni_id} of type Member is attached to its trunk, "
            "not to an instance.",
        )
    _check_no_members(eni, members)
    if eni.status is not EniStatus.AVAILABLE:
        raise SimError(
            "InvalidOperation.InvalidEniState",
            f"The network interface {eni_id} is {eni.status}; it must be Available.",
        )
    if not spec.eni_supported:
        raise SimError(
            "InvalidOperation.InvalidGeneration",
            f"The instance family of {instance.instance_type} does not support this operation.",
        )
    _check_instance_state(instance)
    if instance.status is InstanceStatus.RUNNING and not spec.eni_hot_plug:
        raise SimError(
            "InvalidOperation.InvalidEcsState",
            f"The instance type {instance.instance_type} takes network interfaces only while "
            f"Stopped; instance {instance_id} is Running.",
        )
    if eni.vpc_id and instance.vpc_id and eni.vpc_id != instance.vpc_id:
        raise SimError(
            "InvalidOperation.VpcMismatch",
            f"The network interface {eni_id} is in {eni.vpc_id}; instance {instance_id} is in "
            f"{instance.vpc_id}.",
        )
    if eni.zone_id != instance.zone_id:
        raise SimError(
            "InvalidOperation.AvailabilityZoneMismatch",
            f"The network interface {eni_id} is in {eni.zone_id}; instance {instance_id} is in "
            f"{instance.zone_id}.",
        )
    if eni.ipv6_addresses and not spec.ipv6:
        raise SimError(
            "InvalidOperation.Ipv6NotSupport",
            f"The instance type {instance.instance_type} does not support IPv6.",
        )
    if spec.ipv4_per_eni is not None and eni.ipv4_count > spec.ipv4_per_eni:
        raise SimError(
            "InvalidOperation.Ipv4CountExceeded",
            f"The network interface {eni_id} has {eni.ipv4_count} private IPv4 addresses; "
            f"{instance.instance_type} allows {spec.ipv4_per_eni} per network interface.",
        )
    if spec.eni_limit is not None and attached >= spec.eni_limit:
        raise SimError(
            "EniPerInstanceLimitExceeded",
            f"The instance {instance_id} already has {attached} network interfaces, the most "
            f"its type {instance.instance_type} allows.",
        )


def _check_not_service_managed(eni: NetworkInterface) -> None:
    if eni.service_managed:
        raise SimError(
            "InvalidOperation.EniServiceManaged",
            f"The network interface {eni.eni_id} is managed by service {eni.service_id or '-'}.",
        )


def _check_no_members(eni: NetworkInterface, members: list[str]) -> None:
    if eni.type is EniType.TRUNK and members:
        raise SimError(
            "InvalidOperation.HasMemberEniAttached",
            f"Member network interfaces are attached to {eni.eni_id}: {','.join(members)}.",
        )


def _check_instance_state(instance: Instance) -> None:
    if instance.status not in _TAKES_CHANGES:
        raise SimError(
            "InvalidOperation.InvalidEcsState",
            f"The instance {instance.instance_id} is {instance.status}; it must be Running or "
            "Stopped.",
        )
