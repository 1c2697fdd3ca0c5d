"""What `POST /slack/events` reads, and how it decides a request is Slack's, before Bolt sees it.

Everything here runs on unauthenticated input, so it is bounded first and clever second:
- the body is read only up to `MAX_BODY_BYTES` (1 MiB; Slack's payloads are far smaller). A
  declared length over it is refused unread; an undeclared one (a server de-chunking as it
  goes) is read to one byte past the limit at most. waitress enforces the same limit before the
  app runs (`bot.slack.server`); this is the same promise under any WSGI server.
- the signature headers must each appear once and have the exact shape Slack sends (ASCII
  digits; `v0=` and 64 lower-case hex digits) before anything parses them: `int()` refuses a
  5,000-digit string, `str.isdigit()` accepts `²`, and `hmac.compare_digest` raises on non-ASCII
  text, each a 500 anyone could cause. slack_sdk's `SignatureVerifier` then does the check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from slack_sdk.signature import SignatureVerifier

__all__ = ["MAX_BODY_BYTES", "BodyRefused", "read_body", "signed_by_slack"]

MAX_BODY_BYTES = 1024 * 1024
TIMESTAMP_HEADER = "x-slack-request-timestamp"
SIGNATURE_HEADER = "x-slack-signature"
# Twelve digits reach the year 33658; the 5-minute window refuses anything far from now anyway.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
# Longer than any real length, short enough that int() never meets its digit limit.
_LENGTH = re.compile(r"[0-9]{1,19}")
_READ_SIZE = 64 * 1024


@dataclass(frozen=True)
class BodyRefused:
    """The body was not read (or not all of it): the HTTP status to answer and why."""

    status: int
    reason: str


def read_body(environ: Mapping[str, Any]) -> bytes | BodyRefused:
    """The request body, or why it was refused; never reads more than `MAX_BODY_BYTES` + 1."""
    stream: IO[bytes] | None = environ.get("wsgi.input")
    declared = str(environ.get("CONTENT_LENGTH") or "")
    if declared:
        if not _LENGTH.fullmatch(declared):
            return BodyRefused(400, "malformed Content-Length")
        length = int(declared)
        if length > MAX_BODY_BYTES:
            return BodyRefused(413, f"request body over {MAX_BODY_BYTES} bytes")
    elif environ.get("wsgi.input_terminated"):
        # No length, but the server ends the stream where the body ends (PEP 3333 extension).
        length = MAX_BODY_BYTES + 1
    else:
        # Without a length the body's end is unknown; reading on could wait forever.
        return b""
    raw = _read_up_to(stream, length) if stream is not None else b""
    if len(raw) > MAX_BODY_BYTES:
        return BodyRefused(413, f"request body over {MAX_BODY_BYTES} bytes")
    return raw


def _read_up_to(stream: IO[bytes], length: int) -> bytes:
    """Up to `length` bytes; a WSGI stream may return fewer than asked before its end."""
    parts: list[bytes] = []
    left = length
    while left > 0:
        piece = stream.read(min(left, _READ_SIZE))
        if not piece:
            break
        parts.append(piece)
        left -= len(piece)
    return b"".join(parts)


def signed_by_slack(
    verifier: SignatureVerifier, raw: bytes, headers: Mapping[str, str | Sequence[str]]
) -> bool:
    """Slack's v0 signature over exactly these bytes, within its 5-minute window."""
    timestamp = _only(headers, TIMESTAMP_HEADER)
    signature = _only(headers, SIGNATURE_HEADER)
    if timestamp is None or not _TIMESTAMP.fullmatch(timestamp):
        return False
    if signature is None or not _SIGNATURE.fullmatch(signature):
        return False
    try:
        # The verifier signs text; bytes that are not UTF-8 were not sent by Slack.
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return verifier.is_valid(body=body, timestamp=timestamp, signature=signature)


def _only(headers: Mapping[str, str | Sequence[str]], name: str) -> str | None:
    """The header's one value; None when absent or sent more than once."""
    value = headers.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        if len(value) != 1:
            return None
        value = value[0]
    # A front end joins repeated headers with commas (waitress does): that is two values.
    return None if "," in value else value
