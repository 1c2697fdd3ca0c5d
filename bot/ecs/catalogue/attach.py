"""AttachNetworkInterface's error codes: the list, the codes only it has, and its own meanings.

Sources: the AttachNetworkInterface error table of ECS's API reference (AlibabaCloudDocs/ecs,
"API Reference/Elastic network interfaces/AttachNetworkInterface.md", 31 codes), plus the codes
the 0.2 contract names for attach that ECS answers for every write (account status, RAM,
conflict, trunk members). Most codes mean the same for attach as for detach and use the
operation-neutral entry; `OWN_ENTRIES` are the ones whose meaning, remedy or reaction differs
for an attach (an instance that no longer exists is "already done" for a detach but a failure
for an attach, and so on).
"""

from __future__ import annotations

from bot.ecs.catalogue.kinds import ATTACH, CatalogueEntry, Category, Reaction

__all__ = ["ATTACH_CODES", "ATTACH_DOC_CODES", "ENTRIES", "OWN_ENTRIES"]

_L, _F = Reaction.RETRY_LATER, Reaction.FAIL

# The documentation's table, in its order (HTTP status per code is in the catalogue entries).
ATTACH_DOC_CODES: tuple[str, ...] = (
    "InvalidUserType.NotSupported",
    "Abs.InvalidAccount.NotFound",
    "MissingParameter",
    "Forbidden.NotSupportRAM",
    "UnsupportedParameter",
    "Forbidden.SubUser",
    "InvalidParameter",
    "InvalidInstanceID.Malformed",
    "InvalidOperation.InvalidRegion",
    "InvalidOperation.InvalidEcsState",
    "InvalidOperation.InvalidEniState",
    "InvalidOperation.DetachPrimaryEniNotAllowed",
    "InvalidEcsId.NotFound",
    "InvalidEniId.NotFound",
    "InvalidVSwitchId.NotFound",
    "InvalidSecurityGroupId.NotFound",
    "MaxEniCountExceeded",
    "EniPerInstanceLimitExceeded",
    "InvalidOperation.AvailabilityZoneMismatch",
    "InvalidOperation.VpcMismatch",
    "SecurityGroupInstanceLimitExceed",
    "InvalidSecurityGroupId.NotVpc",
    "InvalidOperation.InvalidEniType",
    "Forbidden.RegionId",
    "InvalidInstanceId.NotFound",
    "InvalidOperation.InvalidGeneration",
    "InvalidParams.EniId",
    "InvalidOperation.Ipv4CountExceeded",
    "InvalidOperation.EniServiceManaged",
    "InvalidOperation.Ipv6NotSupport",
)

# Every code an attach can be answered with that the bot must explain: the table plus the
# write-wide codes (contract "Attach and re-attach (0.2)"; issue #13).
ATTACH_CODES: tuple[str, ...] = (
    *ATTACH_DOC_CODES,
    "InvalidOperation.HasMemberEniAttached",
    "Forbidden.RAM",
    "Forbidden.Unauthorized",
    "InvalidAccountStatus.NotEnoughBalance",
    "InvalidAccountStatus.SnapshotServiceUnavailable",
    "OperationConflict",
    "InvalidOperation.Conflict",
    "Operation.Conflict",
)

# Codes only an attach produces: operation-neutral entries (no other operation sends them).
ENTRIES: tuple[CatalogueEntry, ...] = (
    CatalogueEntry(
        "InvalidOperation.InvalidGeneration",
        400,
        Category.PARAMETER,
        "The server's instance family cannot take extra network interfaces.",
        "Choose a server of a newer instance family, or ask its owner to change its type.",
        _F,
    ),
    CatalogueEntry(
        "InvalidOperation.Ipv4CountExceeded",
        403,
        Category.QUOTA,
        "The network interface has more private IPv4 addresses than the server's instance type "
        "allows on one interface.",
        "Remove secondary private IPs from the ENI, or choose a server of a larger type.",
        _F,
    ),
    CatalogueEntry(
        "InvalidOperation.Ipv6NotSupport",
        403,
        Category.PARAMETER,
        "The network interface has IPv6 addresses, but the server's instance type has no IPv6.",
        "Choose a server whose type supports IPv6, or remove the ENI's IPv6 addresses.",
        _F,
    ),
)


def _own(
    code: str, status: int, category: Category, meaning: str, remedy: str, reaction: Reaction
) -> CatalogueEntry:
    return CatalogueEntry(code, status, category, meaning, remedy, reaction, action=ATTACH)


# Codes whose meaning for an attach differs from the operation-neutral (0.1 detach) wording.
OWN_ENTRIES: tuple[CatalogueEntry, ...] = (
    _own(
        "InvalidOperation.InvalidEcsState",
        400,
        Category.STATE,
        "The server cannot take the network interface right now: it is starting or stopping, "
        "or its instance type only takes new network interfaces while it is stopped.",
        # Busy by the contract's list: retried within ENIBOT_STUCK_AFTER, then reported.
        "The bot waits and tries again. If the server's type needs it stopped, stop it first "
        "(or choose another server) and ask again.",
        _L,
    ),
    _own(
        "InvalidOperation.InvalidEniState",
        400,
        Category.STATE,
        "The network interface is not free: it is still being detached, or is attached to a "
        "server already.",
        "The bot waits and tries again; if it stays busy, check in the ECS console which server "
        "holds it.",
        _L,
    ),
    _own(
        "InvalidOperation.DetachPrimaryEniNotAllowed",
        400,
        Category.PARAMETER,
        "This is a server's main network interface; it cannot be moved to another server.",
        "Pick a secondary network interface instead.",
        _F,
    ),
    _own(
        "InvalidOperation.InvalidEniType",
        403,
        Category.PARAMETER,
        "This kind of network interface cannot be attached to a server this way.",
        "Check the ENI's type in the ECS console; only secondary ENIs can be attached.",
        _F,
    ),
    _own(
        "InvalidOperation.EniServiceManaged",
        403,
        Category.PERMISSION,
        "This network interface is managed by another Alibaba Cloud service, not by you.",
        "Attach it through the service that owns it.",
        _F,
    ),
    _own(
        "InvalidOperation.HasMemberEniAttached",
        403,
        Category.STATE,
        "Other network interfaces still hang off this trunk network interface, so it cannot be "
        "attached.",
        "Detach its member ENIs first, then request this attach again.",
        _F,
    ),
    _own(
        "EniPerInstanceLimitExceeded",
        403,
        Category.QUOTA,
        "The server's instance type holds no more network interfaces.",
        "Detach another ENI from that server first, or choose a server of a larger type.",
        _F,
    ),
    _own(
        "InvalidOperation.VpcMismatch",
        403,
        Category.PARAMETER,
        "The network interface and the server are in different private networks (VPCs), so it "
        "cannot be attached there.",
        "Choose a server in the ENI's VPC.",
        _F,
    ),
    _own(
        "InvalidOperation.AvailabilityZoneMismatch",
        403,
        Category.PARAMETER,
        "The network interface and the server are in different zones, so it cannot be attached "
        "there.",
        "Choose a server in the zone of the ENI's vSwitch.",
        _F,
    ),
    # Gone is not "already done" for an attach: there is nothing left to attach, or nowhere.
    _own(
        "InvalidEcsId.NotFound",
        404,
        Category.NOT_FOUND,
        "Alibaba Cloud cannot find the server; it may have been released.",
        "Check the instance ID and region, and choose a server that exists.",
        _F,
    ),
    _own(
        "InvalidEniId.NotFound",
        404,
        Category.NOT_FOUND,
        "Alibaba Cloud cannot find that network interface; it may have been deleted.",
        "Check the ENI ID and region; a deleted ENI cannot be attached again.",
        _F,
    ),
)
