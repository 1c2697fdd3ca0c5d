"""Response bodies as ECS writes them: JSON, or XML when the caller asked for `Format=XML`."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

__all__ = ["Format", "Reply", "error_reply", "new_request_id", "success_reply"]

JSON_CONTENT_TYPE = "application/json;charset=utf-8"
# The V3 SDK parses XML only for exactly this content type (API_NOTES 6.1).
XML_CONTENT_TYPE = "text/xml;charset=utf-8"


class Format(StrEnum):
    """Response formats the RPC protocol offers."""

    JSON = "JSON"
    XML = "XML"


@dataclass
class Reply:
    """An HTTP answer, or an instruction to drop the connection without one."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop_connection: bool = False


def new_request_id() -> str:
    """A request ID shaped like ECS's (uppercase UUID)."""
    return str(uuid.uuid4()).upper()


def recommend_url(code: str, request_id: str) -> str:
    """The diagnosis link newer gateway responses carry."""
    return (
        f"https://api.aliyun.com/troubleshoot?q={quote(code, safe='')}"
        f"&product=Ecs&requestId={request_id}"
    )


def success_reply(action: str, body: dict[str, Any], fmt: Format) -> Reply:
    """200 with `body` (which holds RequestId) under `<Action>Response` when XML."""
    return _reply(200, f"{action}Response", body, fmt, {})


def error_reply(
    *,
    code: str,
    message: str,
    http_status: int,
    request_id: str,
    host_id: str,
    fmt: Format,
    headers: dict[str, str] | None = None,
) -> Reply:
    """An ECS error body: RequestId, HostId, Code, Message, Recommend."""
    body = {
        "RequestId": request_id,
        "HostId": host_id,
        "Code": code,
        "Message": message,
        "Recommend": recommend_url(code, request_id),
    }
    return _reply(http_status, "Error", body, fmt, headers or {})


def _reply(
    status: int, root: str, body: dict[str, Any], fmt: Format, headers: dict[str, str]
) -> Reply:
    if fmt is Format.XML:
        payload = f'<?xml version="1.0" encoding="UTF-8"?>\n{_xml(root, body)}'.encode()
        content_type = XML_CONTENT_TYPE
    else:
        payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        content_type = JSON_CONTENT_TYPE
    return Reply(status=status, body=payload, headers={"Content-Type": content_type, **headers})


def _xml(tag: str, value: Any) -> str:
    """Serialise like the RPC gateway: a list under key K becomes repeated <K> elements."""
    if isinstance(value, dict):
        inner: list[str] = []
        for key, child in value.items():
            if isinstance(child, list):
                inner.extend(_xml(key, item) for item in child)
            else:
                inner.append(_xml(key, child))
        return f"<{tag}>{''.join(inner)}</{tag}>"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = ""
    else:
        text = escape(str(value))
    return f"<{tag}>{text}</{tag}>"
