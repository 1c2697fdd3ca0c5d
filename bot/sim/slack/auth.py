"""Which token a call carries, what Slack says to a wrong one, and headers fit to record.

A token comes as `Authorization: Bearer …` or as the `token` argument. Slack answers a missing
one `not_authed`, an unknown one `invalid_auth`, and a real token of the other kind (a bot token
on an app-level method, or the reverse) `not_allowed_token_type`.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.sim.slack.arguments import ApiError, Params


def presented_token(params: Params, headers: Mapping[str, str]) -> str:
    """The token of a call: the bearer header wins over the `token` argument."""
    auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    return auth[7:] if auth.lower().startswith("bearer ") else str(params.get("token") or "")


def token_error(token: str, *, expected: str | None, other: str | None) -> ApiError | None:
    """None when `token` is the one the method takes, else Slack's refusal."""
    if not token:
        return ApiError("not_authed")
    if token == expected:
        return None
    if token == other:
        return ApiError("not_allowed_token_type")
    return ApiError("invalid_auth")


def redacted_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers with the credential of `Authorization` replaced, so records hold no token."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        if name.lower() == "authorization":
            scheme = value.split(" ", 1)[0] if " " in value else ""
            out[name] = f"{scheme} [redacted]".strip()
        else:
            out[name] = value
    return out
