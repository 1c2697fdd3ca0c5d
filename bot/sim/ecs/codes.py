"""The error codes the simulator answers with, their HTTP status and a message like ECS's.

Statuses come from the DetachNetworkInterface table (shared seed), the AttachNetworkInterface
table of ECS's API reference and the gateway table (API_NOTES 6.3); the simulator keeps its own
copy so that it answers like ECS even if the bot's catalogue drifts (a test compares the two).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ATTACH_CODES", "SEED_CODES", "CodeInfo", "SimError", "info"]


@dataclass(frozen=True)
class CodeInfo:
    """HTTP status and default message of one code."""

    http_status: int
    message: str


class SimError(Exception):
    """Raised inside the simulator to answer a call with an ECS error body."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        http_status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        known = info(code)
        self.code = code
        self.message = message if message is not None else known.message
        self.http_status = http_status if http_status is not None else known.http_status
        self.headers = headers or {}
        super().__init__(f"{code} ({self.http_status})")


def missing(name: str) -> SimError:
    """MissingParameter with the message ECS uses."""
    return SimError(
        "MissingParameter",
        f'The input parameter "{name}" that is mandatory for processing this request is not '
        "supplied.",
    )


def invalid(name: str) -> SimError:
    """InvalidParameter naming the parameter, as ECS does."""
    return SimError("InvalidParameter", f"The specified parameter {name} is not valid.")


_TABLE: dict[str, CodeInfo] = {
    # ---- DetachNetworkInterface (seed table, in its order). ----
    "MissingParameter": CodeInfo(400, "A required parameter is not specified."),
    "UnsupportedParameter": CodeInfo(400, "The specified parameter is not supported."),
    "InvalidParameter": CodeInfo(400, "The specified parameter is not valid."),
    "InvalidInstanceID.Malformed": CodeInfo(
        400, "The specified parameter InstanceId is not valid."
    ),
    "InvalidOperation.InvalidRegion": CodeInfo(400, "The specified RegionId is not valid."),
    "InvalidOperation.InvalidEcsState": CodeInfo(
        400, "The operation is not supported in the current instance state."
    ),
    "InvalidOperation.InvalidEniState": CodeInfo(
        400, "The operation is not supported in the current network interface state."
    ),
    "InvalidOperation.DetachPrimaryEniNotAllowed": CodeInfo(
        400, "The primary network interface cannot be detached."
    ),
    "Forbidden.RegionId": CodeInfo(400, "The service is unavailable in the current region."),
    "InvalidParams.EniId": CodeInfo(400, "The specified NetworkInterfaceId is not valid."),
    "InvalidParameter.EniNotBelongEcs": CodeInfo(
        400, "The specified network interface is not attached to the specified instance."
    ),
    "InvalidUserType.NotSupported": CodeInfo(
        403, "Your account type does not support this operation."
    ),
    "Abs.InvalidAccount.NotFound": CodeInfo(
        403, "The Alibaba Cloud account does not exist or the AccessKey pair has expired."
    ),
    "Forbidden.NotSupportRAM": CodeInfo(403, "This action does not support RAM users."),
    "Forbidden.SubUser": CodeInfo(
        403, "The specified action is not available for you, please contact the primary account."
    ),
    "MaxEniCountExceeded": CodeInfo(403, "The maximum number of network interfaces is reached."),
    "EniPerInstanceLimitExceeded": CodeInfo(
        403, "The maximum number of network interfaces of the instance is reached."
    ),
    "InvalidOperation.AvailabilityZoneMismatch": CodeInfo(
        403, "The network interface and the instance are in different zones."
    ),
    "InvalidOperation.VpcMismatch": CodeInfo(
        403, "The network interface and the instance are in different VPCs."
    ),
    "SecurityGroupInstanceLimitExceed": CodeInfo(
        403, "The maximum number of instances in the security group is reached."
    ),
    "InvalidSecurityGroupId.NotVpc": CodeInfo(
        403, "The specified security group is not of the VPC network type."
    ),
    "InvalidOperation.InvalidEniType": CodeInfo(
        403, "The operation is not supported for the current network interface type."
    ),
    "InvalidOperation.EniServiceManaged": CodeInfo(
        403, "The network interface is managed by another cloud service."
    ),
    "InvalidOperation.EniLinked": CodeInfo(
        403, "The network interface is associated with other network interfaces."
    ),
    "InvalidInstanceId.NotFound": CodeInfo(403, "The specified InstanceId does not exist."),
    "InvalidOperation.HotPlugNotSupport": CodeInfo(
        403, "The instance type does not support hot plugging of network interfaces: %s"
    ),
    "InvalidOperation.InvalidTrunkEniStatus": CodeInfo(
        403, "The trunk network interface is in a state that does not support the operation: %s"
    ),
    "InvalidOperation.InstanceTypeNotSupportEniTrunking": CodeInfo(
        403, "The instance type does not support trunking: %s"
    ),
    "InvalidParameter.EniNotBelongTrunk": CodeInfo(
        403, "The network interface does not belong to the trunk network interface: %s"
    ),
    "InvalidOperation.EniTypeNotSupportTrunking": CodeInfo(
        403, "The network interface type does not support trunking: %s"
    ),
    "InvalidOperation.HasMemberEniAttached": CodeInfo(
        403, "Member network interfaces are still attached to the trunk network interface: %s"
    ),
    "InvalidEcsId.NotFound": CodeInfo(404, "The specified instance does not exist."),
    "InvalidEniId.NotFound": CodeInfo(404, "The specified network interface does not exist."),
    "InvalidVSwitchId.NotFound": CodeInfo(404, "The specified vSwitch does not exist."),
    "InvalidSecurityGroupId.NotFound": CodeInfo(
        404, "The specified security group does not exist."
    ),
    # ---- Gateway and common codes (API_NOTES 6.3). ----
    "Throttling": CodeInfo(400, "Request was denied due to request throttling."),
    "Throttling.User": CodeInfo(400, "Request was denied due to user flow control."),
    "Throttling.Api": CodeInfo(400, "Request was denied due to api flow control."),
    "ServiceUnavailable": CodeInfo(
        503, "The request has failed due to a temporary failure of the server."
    ),
    "InternalError": CodeInfo(
        500, "The request processing has failed due to some unknown error, exception or failure."
    ),
    "UnknownError": CodeInfo(400, "The server encountered an error."),
    "SignatureDoesNotMatch": CodeInfo(
        400, "Specified signature is not matched with our calculation."
    ),
    "IncompleteSignature": CodeInfo(
        400, "The request signature does not conform to Aliyun standards."
    ),
    "InvalidAccessKeyId.NotFound": CodeInfo(404, "Specified access key is not found."),
    "InvalidAccessKeyId.Inactive": CodeInfo(400, "Specified access key is disabled."),
    "SignatureNonceUsed": CodeInfo(400, "Specified signature nonce was used already."),
    "InvalidTimeStamp.Expired": CodeInfo(400, "Specified time stamp or date value is expired."),
    "InvalidTimeStamp.Format": CodeInfo(
        400, "Specified time stamp or date value is not well formatted."
    ),
    "InvalidSecurityToken.Malformed": CodeInfo(400, "Specified SecurityToken is malformed."),
    "InvalidSecurityToken.Expired": CodeInfo(400, "Specified SecurityToken is expired."),
    "InvalidSecurityToken.MismatchWithAccessKey": CodeInfo(
        400, "Specified SecurityToken mismatch with the AccessKey."
    ),
    "InvalidApi.NotFound": CodeInfo(
        404, "Specified api is not found, please check your url and method."
    ),
    "InvalidRegionId.NotFound": CodeInfo(404, "The specified RegionId does not exist."),
    "Forbidden.RAM": CodeInfo(403, "User not authorized to operate on the specified resource."),
    "OperationConflict": CodeInfo(
        409, "Request was denied due to conflict with a previous request."
    ),
    "UnsupportedHTTPMethod": CodeInfo(400, "This http method is not supported."),
    "Rejected.Throttling": CodeInfo(400, "Request was denied due to request throttling."),
    "ServiceUnavailable.RegionMaintaining": CodeInfo(503, "The region is under maintenance."),
    "Forbidden.AccessKeyDisabled": CodeInfo(403, "The specified AccessKey is disabled."),
    "InvalidOperation.Conflict": CodeInfo(403, "The operation conflicts with another one."),
    "NoPermission": CodeInfo(403, "You are not authorized to perform this operation."),
    # ---- AttachNetworkInterface codes beyond the Detach table, and write-wide ones. ----
    "InvalidOperation.InvalidGeneration": CodeInfo(
        400, "The instance family does not support this operation."
    ),
    "InvalidOperation.Ipv4CountExceeded": CodeInfo(
        403, "The maximum number of IPv4 addresses of a network interface is reached."
    ),
    "InvalidOperation.Ipv6NotSupport": CodeInfo(
        403, "The instance type does not support IPv6 addresses."
    ),
    "Forbidden.Unauthorized": CodeInfo(
        403, "A required authorization for the specified action is not supplied."
    ),
    "InvalidAccountStatus.NotEnoughBalance": CodeInfo(
        403, "Your account does not have enough balance."
    ),
    "InvalidAccountStatus.SnapshotServiceUnavailable": CodeInfo(
        403, "Snapshot service has not been opened yet."
    ),
    "Operation.Conflict": CodeInfo(
        409, "The operation conflicts with another operation on the same resource."
    ),
}

# The 35 codes of the seed's DetachNetworkInterface table, in its order.
SEED_CODES: tuple[str, ...] = tuple(list(_TABLE)[:35])

# Every code AttachNetworkInterface may answer with: its documentation's table (AlibabaCloudDocs
# ecs, "AttachNetworkInterface.md"), then the write-wide codes (trunk members, RAM, account
# status, the three conflict spellings). The bot's catalogue keeps the same list.
ATTACH_CODES: tuple[str, ...] = (
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
    "InvalidOperation.HasMemberEniAttached",
    "Forbidden.RAM",
    "Forbidden.Unauthorized",
    "InvalidAccountStatus.NotEnoughBalance",
    "InvalidAccountStatus.SnapshotServiceUnavailable",
    "OperationConflict",
    "InvalidOperation.Conflict",
    "Operation.Conflict",
)

# Codes the forced-error fault may use without an explicit status, by family.
_FAMILY_STATUS = (("Throttling", 400), ("ServiceUnavailable", 503), ("InternalError", 500))


def info(code: str) -> CodeInfo:
    """Status and message for `code`; unknown codes default to 400 like a parameter error."""
    if code in _TABLE:
        return _TABLE[code]
    for prefix, status in _FAMILY_STATUS:
        if code.startswith(prefix):
            return CodeInfo(status, _TABLE[prefix].message)
    if code.endswith(".NotFound"):
        return CodeInfo(404, "The specified resource does not exist.")
    if code.startswith("Forbidden"):
        return CodeInfo(403, "The operation is forbidden.")
    return CodeInfo(400, "The request is not valid.")
