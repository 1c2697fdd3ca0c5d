"""Codes any operation may meet: the gateway's and ECS's common codes (API_NOTES 6.3), the
account and permission codes, the conflict codes, and the codes the client makes up itself when
ECS gave no usable answer (http_status 0).
"""

from __future__ import annotations

from bot.ecs.catalogue.kinds import ADMIN, BUG, KEYS, CatalogueEntry, Category, Reaction

__all__ = ["CONFLICT_CODES", "ENTRIES"]

_R, _L, _C, _F = Reaction.RETRY_NOW, Reaction.RETRY_LATER, Reaction.CHECK_FIRST, Reaction.FAIL

# Code and HTTP status (Operation.Conflict's status is not documented; 409 like its sibling).
_CONFLICTS = (
    ("OperationConflict", 409),
    ("InvalidOperation.Conflict", 403),
    ("Operation.Conflict", 409),
)
CONFLICT_CODES: tuple[str, ...] = tuple(code for code, _ in _CONFLICTS)

ENTRIES: tuple[CatalogueEntry, ...] = (
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
        BUG,
        _F,
    ),
    CatalogueEntry(
        "InvalidAccessKeyId.NotFound",
        404,
        Category.CREDENTIAL,
        "Alibaba Cloud does not know the access key the bot uses.",
        KEYS,
        _F,
    ),
    CatalogueEntry(
        "InvalidAccessKeyId.Inactive",
        400,
        Category.CREDENTIAL,
        "The access key the bot uses has been switched off.",
        KEYS,
        _F,
    ),
    CatalogueEntry(
        "Forbidden.AccessKeyDisabled",
        403,
        Category.CREDENTIAL,
        "The access key the bot uses has been switched off.",
        KEYS,
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
        KEYS,
        _F,
    ),
    CatalogueEntry(
        "InvalidSecurityToken.MismatchWithAccessKey",
        400,
        Category.CREDENTIAL,
        "The bot's temporary credentials do not belong together.",
        KEYS,
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
        BUG,
        _F,
    ),
    CatalogueEntry(
        "IllegalTimestamp",
        400,
        Category.SIGNATURE,
        "The bot's request had no valid time stamp.",
        BUG,
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
        ADMIN,
        _F,
    ),
    CatalogueEntry(
        "NoPermission",
        403,
        Category.PERMISSION,
        "The bot's account has no permission for this action.",
        ADMIN,
        _F,
    ),
    CatalogueEntry(
        "Forbidden",
        403,
        Category.PERMISSION,
        "Alibaba Cloud refused: the bot's account may not do this.",
        ADMIN,
        _F,
    ),
    # The three spellings of "busy with another change" seen in Alibaba's own tools (the API's
    # OperationConflict, Terraform's InvalidOperation.Conflict, the CLI's Operation.Conflict) are
    # one reaction: wait and send again within the busy budget (ENIBOT_STUCK_AFTER).
    *(
        CatalogueEntry(
            code,
            status,
            Category.CONFLICT,
            "Another change to the same network interface or server is still running.",
            "The bot waits and tries again; nothing for you to do unless it keeps conflicting.",
            _L,
        )
        for code, status in _CONFLICTS
    ),
    # ---- Account and permission codes of the AttachNetworkInterface documentation. ----
    CatalogueEntry(
        "Forbidden.Unauthorized",
        403,
        Category.PERMISSION,
        "The bot's account is not authorized to change this resource.",
        ADMIN,
        _F,
    ),
    CatalogueEntry(
        "InvalidAccountStatus.NotEnoughBalance",
        403,
        Category.PERMISSION,
        "The cloud account has an overdue bill or too little balance, so Alibaba Cloud refuses "
        "changes to its resources.",
        "Ask the account's owner to settle the bill or top up the balance, then ask again.",
        _F,
    ),
    CatalogueEntry(
        "InvalidAccountStatus.SnapshotServiceUnavailable",
        403,
        Category.PERMISSION,
        "The cloud account has not activated a service this change needs (snapshots).",
        "Ask the account's owner to activate the snapshot service in the ECS console, then ask "
        "again.",
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
        BUG,
        _F,
    ),
    CatalogueEntry(
        "InvalidAction",
        403,
        Category.PARAMETER,
        "The bot asked for an action Alibaba Cloud does not offer here.",
        BUG,
        _F,
    ),
    CatalogueEntry(
        "UnsupportedHTTPMethod",
        400,
        Category.PARAMETER,
        "The bot sent the request in a way Alibaba Cloud does not accept.",
        BUG,
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
        "Transport.AttachOutcomeUnknown",
        0,
        Category.TRANSPORT,
        "The attach was sent but no answer came back, so it may or may not have happened.",
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
