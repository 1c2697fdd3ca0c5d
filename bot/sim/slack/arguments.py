"""A Web API call's arguments as Slack reads them, and the refusal a method answers with.

Slack takes arguments from the query string and from a form or JSON body. Parameters that carry
structure (`blocks`, `metadata`, `view`, …) arrive as JSON text inside a form body and are
decoded here; one that is not JSON is kept as `Undecodable` so the method can name the error
Slack names (`invalid_blocks_format`, `invalid_metadata_format`). Read methods ignore a JSON
body altogether (`FORM_ONLY_METHODS`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

Params = dict[str, Any]

# Parameters Slack accepts as JSON text inside a form-encoded body.
JSON_PARAMS = ("blocks", "attachments", "metadata", "view")
# Read methods: Slack takes their arguments as query or form parameters only and ignores a JSON
# body (slack_sdk sends them form-encoded), so a JSON-bodied call is answered as one without any.
FORM_ONLY_METHODS = frozenset(
    {
        "conversations.history",
        "conversations.replies",
        "conversations.info",
        "users.info",
        "usergroups.users.list",
    }
)
# Set by `parse_params` when a JSON body is not a JSON object; the call answers `invalid_json`.
INVALID_JSON = "__invalid_json__"


class ApiError(Exception):
    """A Web API refusal: HTTP 200 with {"ok": false, "error": code, ...extra}."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body Slack answers with."""
        return {"ok": False, "error": self.code, **self.extra}


@dataclass(frozen=True)
class Undecodable:
    """A JSON parameter that was not JSON; kept so the method can name the right error."""

    raw: str


def decode_json_params(params: Params) -> Params:
    """Decode the parameters Slack takes as JSON strings, as Slack does for form bodies."""
    out = dict(params)
    for key in JSON_PARAMS:
        value = out.get(key)
        if isinstance(value, str):
            try:
                out[key] = json.loads(value) if value else None
            except ValueError:
                out[key] = Undecodable(value)
    return out


def parse_params(method: str, query: str, headers: Mapping[str, str], raw: bytes) -> Params:
    """Every argument of one call: query string, then the form or JSON body on top."""
    params: Params = dict(parse_qsl(query, keep_blank_values=True))
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    is_json = "json" in content_type
    # Slack reads a read method's arguments from the query string or a form body only: a JSON
    # body is ignored, so the call is answered as if it had no arguments (channel_not_found…).
    if raw and not (is_json and method in FORM_ONLY_METHODS):
        if is_json:
            try:
                decoded = json.loads(raw)
            except ValueError:
                decoded = None
            if isinstance(decoded, dict):
                params.update(decoded)
            else:
                params[INVALID_JSON] = True
        else:
            params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    return decode_json_params(params)


def text_arg(params: Params, key: str) -> str:
    """A string argument; absent is empty, anything else is its text."""
    value = params.get(key)
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def flag_arg(params: Params, key: str) -> bool:
    """A boolean argument, from JSON `true` or form `1`/`true`/`yes`."""
    value = params.get(key)
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def int_arg(params: Params, key: str, default: int) -> int:
    """An integer argument; one that is not a number is `invalid_arguments`."""
    try:
        return int(params.get(key) or default)
    except (TypeError, ValueError):
        raise ApiError("invalid_arguments") from None
