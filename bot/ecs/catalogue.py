"""Every ECS error code the bot may meet, in plain words, with what to do and how the bot reacts.

The 35 codes of the DetachNetworkInterface error table (shared/seed) plus the gateway codes of
API_NOTES section 6. `meaning` is written for the person who asked for the detach (no jargon);
`remedy` says what to do next. ECS messages with `%s` placeholders are never reformatted here:
the catalogue text is ours, the ECS message travels untouched on the error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "CATALOGUE",
    "CatalogueEntry",
    "Category",
    "Reaction",
    "lookup",
]


class Reaction(StrEnum):
    """How the bot reacts to a code; values are what logs and the database may store."""

    RETRY_NOW = "retry_now"  # throttling/5xx/no answer: the client already retried with backoff
    RETRY_LATER = "retry_later"  # busy, or credentials mid-rotation: wait (bounded), send again
    ALREADY_DONE = "already_done"  # gone: done, but only after a Describe confirms it
    CHECK_FIRST = "check_first"  # Detach outcome unknown: Describe before anything is re-sent
    FAIL = "fail"  # a person must act; retrying cannot help


class Category(StrEnum):
    """Broad family of a code, for metrics and for grouping in messages."""

    PARAMETER = "parameter"
    STATE = "state"
    NOT_FOUND = "not_found"
    PERMISSION = "permission"
    QUOTA = "quota"
    REGION = "region"
    THROTTLING = "throttling"
    SERVER = "server"
    SIGNATURE = "signature"
    CREDENTIAL = "credential"
    CONFLICT = "conflict"
    TRANSPORT = "transport"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CatalogueEntry:
    """What one ECS error code means for the person who asked and what happens next."""

    code: str
    http_status: int
    category: Category
    meaning: str
    remedy: str
    reaction: Reaction

    @property
    def retryable(self) -> bool:
        """True when sending the same call again later can succeed without a person acting."""
        return self.reaction in (Reaction.RETRY_NOW, Reaction.RETRY_LATER)


_R, _L, _D, _C, _F = (
    Reaction.RETRY_NOW,
    Reaction.RETRY_LATER,
    Reaction.ALREADY_DONE,
    Reaction.CHECK_FIRST,
    Reaction.FAIL,
)
_BUG = "This is a bug in the bot, not something you did: report it to the bot's maintainers."
_ADMIN = "Ask your Alibaba Cloud administrator to grant the bot's account this permission."
_KEYS = "Ask the bot's operators to check the Alibaba Cloud access key the bot uses."

_ENTRIES: tuple[CatalogueEntry, ...] = (
    # ---- The DetachNetworkInterface table (seed), in its order. ----
    CatalogueEntry(
        "MissingParameter",
        400,
        Category.PARAMETER,
        "The bot left out a value Alibaba Cloud needs, so nothing was changed.",
        _BUG,
        _F,
    ),
    CatalogueEntry(
        "UnsupportedParameter",
        400,
        Category.PARAMETER,
        "The bot sent a setting Alibaba Cloud does not accept, so nothing was changed.",
        _BUG,
        _F,
    ),
    CatalogueEntry(
        "InvalidParameter",
        400,
        Category.PARAMETER,
        "Alibaba Cloud rejected one of the values in the request, so nothing was changed.",
        "Check the ENI ID, instance ID and region you typed; if they are right, report it.",
        _F,
    ),
    CatalogueEntry(
        "InvalidInstanceID.Malformed",
        400,
        Category.PARAMETER,
        "The instance ID is not written the way Alibaba Cloud expects (it starts with `i-`).",
        "Copy the instance ID from the ECS console and try again.",
        _F,
    ),
    CatalogueEntry(
        "InvalidOperation.InvalidRegion",
        400,
        Category.REGION,
        "The region given does not work for this request.",
        "Check the region ID (for example `cn-hangzhou`) and try again.",
        _F,
    ),
    CatalogueEntry(
        "InvalidOperation.InvalidEcsState",
        400,
        Category.STATE,
        "The server is busy changing state (starting or stopping), so the network interface "
        "cannot be removed right now.",
        "The bot waits and tries again. If the server stays busy, check it in the ECS console.",
        _L,
    ),
    CatalogueEntry(
        "InvalidOperation.InvalidEniState",
        400,
        Category.STATE,
        "The network interface is busy (still being attached or already being removed), so it "
        "cannot be removed right now.",
        "The bot waits and tries again; nothing for you to do unless it stays busy.",
        _L,
    ),
    CatalogueEntry(
        "InvalidOperation.DetachPrimaryEniNotAllowed",
        400,
        Category.PARAMETER,
        "This is the server's main network interface; it can never be removed.",
        "Pick a secondary network interface instead.",
        _F,
    ),
    CatalogueEntry(
        "Forbidden.RegionId",
        400,
        Category.REGION,
        "This service is not offered in that region.",
        "Check the region ID; choose the region where the ENI lives.",
        _F,
    ),
    CatalogueEntry(
        "InvalidParams.EniId",
        400,
        Category.PARAMETER,
        "The network interface ID is not valid (it starts with `eni-`).",
        "Copy the ENI ID from the ECS console and try again.",
        _F,
    ),
    CatalogueEntry(
        "InvalidParameter.EniNotBelongEcs",
        400,
        Category.PARAMETER,
        "The network interface is not attached to the server you named.",
        "Check which server the ENI is attached to (or leave the instance ID out) and retry.",
        _F,
    ),
    CatalogueEntry(
        "InvalidUserType.NotSupported",
        403,
        Category.PERMISSION,
        "The cloud account the bot uses is not allowed to do this.",
        "Ask your Alibaba Cloud administrator which account type this needs.",
        _F,
    ),
    CatalogueEntry(
        "Abs.InvalidAccount.NotFound",
        403,
        Category.CREDENTIAL,
        "The cloud account behind the bot does not exist or its access key has expired.",
        _KEYS,
        _F,
    ),
    CatalogueEntry(
        "Forbidden.NotSupportRAM",
        403,
        Category.PERMISSION,
        "This action cannot be done by a sub-account, only by the main account.",
        "Ask your Alibaba Cloud administrator to do it, or to change the bot's account.",
        _F,
    ),
    CatalogueEntry(
        "Forbidden.SubUser",
        403,
        Category.PERMISSION,
        "The bot's account is not allowed to manage this resource.",
        _ADMIN,
        _F,
    ),
    CatalogueEntry(
        "MaxEniCountExceeded",
        403,
        Category.QUOTA,
        "The account has reached the most network interfaces it may manage.",
        "Ask your administrator to raise the quota or free unused network interfaces.",
        _F,
    ),
    CatalogueEntry(
        "EniPerInstanceLimitExceeded",
        403,
        Category.QUOTA,
        "The server already has the most network interfaces it can hold.",
        "Ask your administrator; this limit depends on the server's instance type.",
        _F,
    ),
    CatalogueEntry(
        "InvalidOperation.AvailabilityZoneMismatch",
        403,
        Category.PARAMETER,
        "The network interface and the server are in different zones.",
        "Check that the ENI and the instance are in the same zone.",
        _F,
    ),
    CatalogueEntry(
        "InvalidOperation.VpcMismatch",
        403,
        Category.PARAMETER,
        "The network interface and the server are in different private networks (VPCs).",
        "Check that the ENI and the instance belong to the same VPC.",
        _F,
    ),
    CatalogueEntry(
        "SecurityGroupInstanceLimitExceed",
        403,
        Category.QUOTA,
        "The security group has reached the most servers it may hold.",
        "Ask your administrator to use another security group or raise the limit.",
        _F,
    ),
    CatalogueEntry(
        "InvalidSecurityGroupId.NotVpc",
        403,
        Category.PARAMETER,
        "The security group is not a private-network (VPC) group.",
        "Ask your administrator to check the ENI's security groups.",
        _F,
    ),
    CatalogueEntry(
        "InvalidOperation.InvalidEniType",
        403,
        Category.PARAMETER,
        "This kind of network interface cannot be removed this way.",
        "Check the ENI's type in the ECS console; only secondary ENIs can be detached.",
        _F,
    ),
    CatalogueEntry(
        "InvalidOperation.EniServiceManaged",
        403,
        Category.PERMISSION,
        "This network interface is managed by another Alibaba Cloud service, not by you.",
        "Remove it through the service that owns it.",
        _F,
    ),
    CatalogueEntry(
        "InvalidOperation.EniLinked",
        403,
        Category.STATE,
        "The network interface is linked to other network interfaces.",
        "Unlink it from the other ENIs first, then request the detach again.",
        _F,
    ),
    CatalogueEntry(
        "InvalidInstanceId.NotFound",
        403,
        Category.NOT_FOUND,
        "No server with that ID exists in that region.",
        "Check the instance ID and region and try again.",
        _F,
    ),
    CatalogueEntry(
        "InvalidOperation.HotPlugNotSupport",
        403,
        Category.STATE,
        "This server type cannot have network interfaces removed while it is running.",
        "Stop the server first (or ask its owner to), then request the detach again.",
        _F,
    ),
    CatalogueEntry(
        "InvalidOperation.InvalidTrunkEniStatus",
        403,
        Category.STATE,
        "The trunk network interface is in a state that does not allow this.",
        "Check the trunk ENI in the ECS console, then try again.",
        _F,
    ),
    CatalogueEntry(
        "InvalidOperation.InstanceTypeNotSupportEniTrunking",
        403,
        Category.PARAMETER,
        "This server type does not support trunk network interfaces.",
        "Check the instance type; this operation is not possible on it.",
        _F,
    ),
    CatalogueEntry(
        "InvalidParameter.EniNotBelongTrunk",
        403,
        Category.PARAMETER,
        "The network interface does not belong to the trunk network interface named.",
        "Check the ENI IDs and try again.",
        _F,
    ),
    CatalogueEntry(
        "InvalidOperation.EniTypeNotSupportTrunking",
        403,
        Category.PARAMETER,
        "This kind of network interface does not support trunk mode.",
        "Check the ENI's type in the ECS console.",
        _F,
    ),
    CatalogueEntry(
        "InvalidOperation.HasMemberEniAttached",
        403,
        Category.STATE,
        "Other network interfaces still hang off this trunk network interface.",
        "Detach its member ENIs first, then request this detach again.",
        _F,
    ),
    CatalogueEntry(
        "InvalidEcsId.NotFound",
        404,
        Category.NOT_FOUND,
        "Alibaba Cloud cannot find the server any more; the interface may already be free.",
        "The bot asks ECS for the ENI: if it is detaching or already free the request carries "
        "on; otherwise it fails here. Check that the instance still exists.",
        _D,
    ),
    CatalogueEntry(
        "InvalidEniId.NotFound",
        404,
        Category.NOT_FOUND,
        "Alibaba Cloud cannot find that network interface; it may already be gone.",
        "The bot asks ECS for the ENI: if it is detaching or already free the request carries "
        "on; if it was deleted there is nothing left to detach and the request ends here.",
        _D,
    ),
    CatalogueEntry(
        "InvalidVSwitchId.NotFound",
        404,
        Category.NOT_FOUND,
        "The network segment (vSwitch) this interface uses no longer exists.",
        "Ask your administrator to check the ENI's vSwitch.",
        _F,
    ),
    CatalogueEntry(
        "InvalidSecurityGroupId.NotFound",
        404,
        Category.NOT_FOUND,
        "A security group this interface uses no longer exists.",
        "Ask your administrator to check the ENI's security groups.",
        _F,
    ),
    # ---- Gateway and common codes (API_NOTES 6.3). ----
    CatalogueEntry(
        "Throttling",
        400,
        Category.THROTTLING,
        "Alibaba Cloud is receiving too many requests and asked the bot to slow down.",
        "The bot retries by itself; if it keeps happening, try again in a few minutes.",
        _R,
    ),
    CatalogueEntry(
        "Throttling.User",
        400,
        Category.THROTTLING,
        "The cloud account sent too many requests in a short time.",
        "The bot retries by itself; if it keeps happening, try again in a few minutes.",
        _R,
    ),
    CatalogueEntry(
        "Throttling.Api",
        400,
        Category.THROTTLING,
        "Too many requests of this kind were sent in a short time.",
        "The bot retries by itself; if it keeps happening, try again in a few minutes.",
        _R,
    ),
    CatalogueEntry(
        "Rejected.Throttling",
        400,
        Category.THROTTLING,
        "Alibaba Cloud turned the request away because of heavy traffic.",
        "The bot retries by itself; if it keeps happening, try again in a few minutes.",
        _R,
    ),
    CatalogueEntry(
        "ServiceUnavailable",
        503,
        Category.SERVER,
        "Alibaba Cloud was briefly unavailable.",
        "The bot retries by itself; if it keeps failing, check Alibaba Cloud's status page.",
        _R,
    ),
    CatalogueEntry(
        "ServiceUnavailable.RegionMaintaining",
        503,
        Category.SERVER,
        "The region is under maintenance by Alibaba Cloud.",
        "Try again after the maintenance window.",
        _R,
    ),
    CatalogueEntry(
        "InternalError",
        500,
        Category.SERVER,
        "Alibaba Cloud had an internal problem with the request.",
        "The bot retries by itself; if it keeps failing, try again later.",
        _R,
    ),
    CatalogueEntry(
        "UnknownError",
        400,
        Category.SERVER,
        "Alibaba Cloud failed in a way it did not explain.",
        "The bot retries by itself; if it keeps failing, try again later.",
        _R,
    ),
    CatalogueEntry(
        "SignatureDoesNotMatch",
        400,
        Category.SIGNATURE,
        "Alibaba Cloud did not accept the bot's credentials for this request.",
        "Ask the bot's operators to check the access key secret (and the bot's clock).",
        _F,
    ),
    CatalogueEntry(
        "IncompleteSignature",
        400,
        Category.SIGNATURE,
        "The bot's request was not signed the way Alibaba Cloud expects.",
        _BUG,
        _F,
    ),
    CatalogueEntry(
        "InvalidAccessKeyId.NotFound",
        404,
        Category.CREDENTIAL,
        "Alibaba Cloud does not know the access key the bot uses.",
        _KEYS,
        _F,
    ),
    CatalogueEntry(
        "InvalidAccessKeyId.Inactive",
        400,
        Category.CREDENTIAL,
        "The access key the bot uses has been switched off.",
        _KEYS,
        _F,
    ),
    CatalogueEntry(
        "Forbidden.AccessKeyDisabled",
        403,
        Category.CREDENTIAL,
        "The access key the bot uses has been switched off.",
        _KEYS,
        _F,
    ),
    CatalogueEntry(
        "InvalidSecurityToken.Expired",
        400,
        Category.CREDENTIAL,
        "The bot's temporary cloud credentials ran out before the renewed ones reached it.",
        # Nothing was applied (refused at the gate); rotation usually lands within seconds.
        "The bot retries for a while; if it still fails, ask the bot's operators to check how "
        "its temporary credentials are renewed.",
        _L,
    ),
    CatalogueEntry(
        "InvalidSecurityToken.Malformed",
        400,
        Category.CREDENTIAL,
        "The bot's temporary cloud credentials are damaged.",
        _KEYS,
        _F,
    ),
    CatalogueEntry(
        "InvalidSecurityToken.MismatchWithAccessKey",
        400,
        Category.CREDENTIAL,
        "The bot's temporary credentials do not belong together.",
        _KEYS,
        _F,
    ),
    CatalogueEntry(
        "InvalidTimeStamp.Expired",
        400,
        Category.SIGNATURE,
        "The bot's clock is too far off for Alibaba Cloud to trust the request.",
        "Ask the bot's operators to fix the server clock (NTP).",
        _F,
    ),
    CatalogueEntry(
        "InvalidTimeStamp.Format",
        400,
        Category.SIGNATURE,
        "The time stamp on the bot's request was written wrongly.",
        _BUG,
        _F,
    ),
    CatalogueEntry(
        "IllegalTimestamp",
        400,
        Category.SIGNATURE,
        "The bot's request had no valid time stamp.",
        _BUG,
        _F,
    ),
    CatalogueEntry(
        "SignatureNonceUsed",
        400,
        Category.SIGNATURE,
        "Alibaba Cloud saw this exact request before and refused to run it twice.",
        "Report it to the bot's maintainers; each request should be unique.",
        _F,
    ),
    CatalogueEntry(
        "Forbidden.RAM",
        403,
        Category.PERMISSION,
        "The bot's account is not allowed to do this (its access policy forbids it).",
        _ADMIN,
        _F,
    ),
    CatalogueEntry(
        "NoPermission",
        403,
        Category.PERMISSION,
        "The bot's account has no permission for this action.",
        _ADMIN,
        _F,
    ),
    CatalogueEntry(
        "Forbidden",
        403,
        Category.PERMISSION,
        "Alibaba Cloud refused: the bot's account may not do this.",
        _ADMIN,
        _F,
    ),
    CatalogueEntry(
        "OperationConflict",
        409,
        Category.CONFLICT,
        "Another change to the same network interface or server is still running.",
        "The bot waits and tries again; nothing for you to do unless it keeps conflicting.",
        _L,
    ),
    CatalogueEntry(
        "InvalidOperation.Conflict",
        403,
        Category.CONFLICT,
        "Another change to the same network interface is still running.",
        # CONTRACT.md retries exactly three busy codes; this one is not among them.
        "Wait for the other change to finish (check the ENI in the ECS console), then ask again.",
        _F,
    ),
    CatalogueEntry(
        "InvalidRegionId.NotFound",
        404,
        Category.REGION,
        "Alibaba Cloud does not know that region.",
        "Check the region ID (for example `cn-hangzhou`) and try again.",
        _F,
    ),
    CatalogueEntry(
        "InvalidApi.NotFound",
        404,
        Category.PARAMETER,
        "The bot asked for an action Alibaba Cloud does not offer here.",
        _BUG,
        _F,
    ),
    CatalogueEntry(
        "InvalidAction",
        403,
        Category.PARAMETER,
        "The bot asked for an action Alibaba Cloud does not offer here.",
        _BUG,
        _F,
    ),
    CatalogueEntry(
        "UnsupportedHTTPMethod",
        400,
        Category.PARAMETER,
        "The bot sent the request in a way Alibaba Cloud does not accept.",
        _BUG,
        _F,
    ),
    # ---- Raised by the client itself when ECS gave no usable answer (http_status 0). ----
    CatalogueEntry(
        "Transport.Timeout",
        0,
        Category.TRANSPORT,
        "Alibaba Cloud did not answer in time.",
        "The bot retries by itself; if it keeps happening, check the network to Alibaba Cloud.",
        _R,
    ),
    CatalogueEntry(
        "Transport.ConnectError",
        0,
        Category.TRANSPORT,
        "The bot could not reach Alibaba Cloud.",
        "The bot retries by itself; if it keeps happening, check the network to Alibaba Cloud.",
        _R,
    ),
    CatalogueEntry(
        "Transport.Error",
        0,
        Category.TRANSPORT,
        "The connection to Alibaba Cloud broke before an answer came back.",
        "The bot retries by itself; if it keeps happening, check the network to Alibaba Cloud.",
        _R,
    ),
    CatalogueEntry(
        "Transport.DetachOutcomeUnknown",
        0,
        Category.TRANSPORT,
        "The detach was sent but no answer came back, so it may or may not have happened.",
        "The bot checks the ENI's state before sending anything again.",
        _C,
    ),
    CatalogueEntry(
        "Credentials.Missing",
        0,
        Category.CREDENTIAL,
        "The bot has no cloud credentials configured, so it cannot talk to Alibaba Cloud.",
        "Ask the bot's operators to set ALIBABA_CLOUD_ACCESS_KEY_ID and _SECRET.",
        _F,
    ),
    CatalogueEntry(
        "Credentials.Unavailable",
        0,
        Category.CREDENTIAL,
        "The bot could not obtain its cloud credentials just now.",
        # The chain's sources (metadata service, OIDC token file) fail briefly during rotation.
        "The bot retries for a while; if it still fails, ask the bot's operators to check the "
        "credential chain (RAM role, OIDC, profile).",
        _L,
    ),
    CatalogueEntry(
        "Credentials.NotInstalled",
        0,
        Category.CREDENTIAL,
        "The bot is set up to fetch credentials with a package that is not installed.",
        "Ask the bot's operators to install the 'aliyun' extra or use the environment keys.",
        _F,
    ),
    CatalogueEntry(
        "Response.Malformed",
        0,
        Category.SERVER,
        "Alibaba Cloud sent back an answer the bot could not read.",
        "The bot retries by itself; if it keeps happening, report it.",
        _R,
    ),
)

CATALOGUE: Mapping[str, CatalogueEntry] = MappingProxyType({e.code: e for e in _ENTRIES})

_FALLBACK_MEANING = "Alibaba Cloud refused the request (code shown above)."
_FALLBACK_REMEDY = (
    "Look the code up in Alibaba Cloud's error center (the Recommend link) or ask the bot's "
    "operators."
)


def lookup(code: str, http_status: int | None = None) -> CatalogueEntry:
    """Catalogue entry for `code`; unknown codes get a sane family entry that keeps the code."""
    entry = CATALOGUE.get(code)
    if entry is not None:
        return entry
    if code.startswith("Throttling") or code.endswith(".Throttling"):
        base = CATALOGUE["Throttling"]
    elif code.startswith("ServiceUnavailable"):
        base = CATALOGUE["ServiceUnavailable"]
    elif http_status is not None and http_status >= 500:
        base = CATALOGUE["InternalError"]
    else:
        return CatalogueEntry(
            code=code,
            http_status=http_status or 0,
            category=Category.UNKNOWN,
            meaning=_FALLBACK_MEANING,
            remedy=_FALLBACK_REMEDY,
            reaction=Reaction.FAIL,
        )
    return replace(base, code=code, http_status=http_status or base.http_status)
