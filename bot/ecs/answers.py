"""What an HTTP answer from ECS says: a body, or an EcsError, and whether it is worth a retry.

Pure functions over an httpx.Response (no I/O), so the transport's retry loop reads as policy
and the parsing of untrusted bodies (JSON or XML errors, garbage from proxies) lives apart.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any

import httpx

from bot.ecs.credentials import Credential
from bot.ecs.errors import Category, EcsError, OutcomeUnknownError, Reaction

__all__ = [
    "as_outcome_unknown",
    "exc_text",
    "may_have_applied",
    "read_answer",
    "retryable",
    "scrub",
]

_ERROR_FIELD = re.compile(r"<(Code|Message|RequestId|HostId|Recommend)>(.*?)</\1>", re.S)
_MAX_ECHO = 300  # characters of an unreadable body kept in an error message


def may_have_applied(error: EcsError) -> bool:
    """A server-side failure says nothing about whether a state-changing call took effect.

    Throttling is a refusal at the gate (nothing was applied); a 5xx, `InternalError`,
    `UnknownError` or `ServiceUnavailable` may come after ECS acted, and so may an answer that
    could not be read.
    """
    if isinstance(error, OutcomeUnknownError):
        return True
    entry = error.entry
    if entry.category is Category.THROTTLING:
        return False
    return error.http_status >= 500 or entry.category is Category.SERVER


def as_outcome_unknown(error: EcsError) -> OutcomeUnknownError:
    """The same error, typed so that callers Describe before anything is sent again."""
    if isinstance(error, OutcomeUnknownError):
        return error
    return OutcomeUnknownError(
        error.code,
        error.message,
        request_id=error.request_id,
        http_status=error.http_status,
        recommend=error.recommend,
        host_id=error.host_id,
        action=error.action,
    )


def retryable(error: EcsError) -> bool:
    """Throttling, 5xx and server-side hiccups: the same call may succeed a moment later."""
    if isinstance(error, OutcomeUnknownError):
        return False
    if error.http_status >= 500:
        return True
    return error.entry.reaction is Reaction.RETRY_NOW


def read_answer(
    response: httpx.Response, action: str, credential: Credential
) -> tuple[Mapping[str, Any], EcsError | None]:
    """Split an answer into its body and, for a refusal or unreadable answer, an EcsError."""
    raw = response.content
    status = response.status_code
    parsed: Any = None
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    if 200 <= status < 300:
        if isinstance(parsed, Mapping):
            return parsed, None
        text = f"HTTP {status} with a body that is not a JSON object: {_echo(raw)}"
        # Response.Malformed is a server-side failure: a state-changing call may have applied.
        return {}, EcsError(
            "Response.Malformed", scrub(text, credential), http_status=status, action=action
        )
    fields = _error_fields(parsed, raw)
    code = fields.get("Code") or f"HTTP.{status}"
    message = fields.get("Message") or (
        "" if fields.get("Code") else f"HTTP {status}: {_echo(raw)}"
    )
    return {}, EcsError(
        code,
        scrub(message, credential),
        request_id=fields.get("RequestId"),
        http_status=status,
        recommend=fields.get("Recommend"),
        host_id=fields.get("HostId"),
        action=action,
    )


def _error_fields(parsed: Any, raw: bytes) -> dict[str, str]:
    """Code/Message/RequestId/HostId/Recommend from a JSON or XML error body."""
    fields: dict[str, str] = {}
    if isinstance(parsed, Mapping):
        for name in ("Code", "Message", "RequestId", "HostId", "Recommend"):
            # The SDK also accepts lowerCamel keys (API_NOTES 6.1).
            value = parsed.get(name, parsed.get(name[0].lower() + name[1:]))
            if value is not None and value != "":
                fields[name] = str(value)
        return fields
    # XML (<Error><Code>…</Code>…</Error>): a regex, not an XML parser, for untrusted input.
    text = raw.decode("utf-8", errors="replace")
    for name, value in _ERROR_FIELD.findall(text):
        if name not in fields and value.strip():
            fields[name] = html.unescape(value.strip())
    return fields


def _echo(raw: bytes) -> str:
    text = raw[: _MAX_ECHO * 4].decode("utf-8", errors="replace")
    text = " ".join(text.split())
    return (text[:_MAX_ECHO] + "…") if len(text) > _MAX_ECHO else (text or "(empty)")


def exc_text(exc: Exception) -> str:
    """An exception as one line for an error message: its type, and its text when it has one."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def scrub(text: str, credential: Credential) -> str:
    """Remove the secret and token should a server or library ever echo them back."""
    for secret in credential.secrets():
        text = text.replace(secret, "<redacted>")
    return text
