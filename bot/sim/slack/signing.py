"""Slack's v0 request signing, plus the forgeries security tests need.

Slack signs `v0:{timestamp}:{raw body}` with HMAC-SHA256 under the app's signing secret and sends
`X-Slack-Request-Timestamp` and `X-Slack-Signature: v0=<hex>`; receivers reject anything older
than five minutes.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum

SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
RETRY_NUM_HEADER = "X-Slack-Retry-Num"
RETRY_REASON_HEADER = "X-Slack-Retry-Reason"
# Slack's replay window; forged stale/future timestamps step just outside it.
REPLAY_WINDOW = 300


def sign(body: bytes, timestamp: int, secret: str) -> str:
    """The `X-Slack-Signature` value Slack sends for this body at this time."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return f"v0={digest}"


class Forgery(StrEnum):
    """Ways to get a request's signature wrong on purpose."""

    BAD_SIGNATURE = "bad_signature"  # right shape, wrong digest
    WRONG_SECRET = "wrong_secret"  # noqa: S105 - signed with another app's secret
    MISSING_SIGNATURE = "missing_signature"
    MISSING_TIMESTAMP = "missing_timestamp"
    STALE = "stale"  # correctly signed, timestamp older than the window
    FUTURE = "future"  # correctly signed, timestamp beyond the window ahead
    TAMPERED_BODY = "tampered_body"  # signed, then the body changed in transit


@dataclass(frozen=True)
class SignedRequest:
    """A body and the headers Slack would send with it."""

    body: bytes
    headers: dict[str, str]

    def __repr__(self) -> str:
        # The signature is derived from the secret; keep it out of logs and assertion output.
        return f"SignedRequest(body={len(self.body)} bytes, headers={sorted(self.headers)})"


def signed_request(
    body: bytes,
    *,
    content_type: str,
    secret: str,
    now: int,
    retry_num: int | None = None,
    retry_reason: str | None = None,
    forgery: Forgery | None = None,
) -> SignedRequest:
    """Headers and (possibly tampered) body for one delivery at time `now`."""
    timestamp = now
    if forgery is Forgery.STALE:
        timestamp = now - REPLAY_WINDOW - 60
    elif forgery is Forgery.FUTURE:
        timestamp = now + REPLAY_WINDOW + 60
    signing_secret = secret + "-not" if forgery is Forgery.WRONG_SECRET else secret
    signature = sign(body, timestamp, signing_secret)
    if forgery is Forgery.BAD_SIGNATURE:
        # Flip the last hex digit: same length and form, wrong value.
        signature = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    if forgery is Forgery.TAMPERED_BODY:
        body = body.replace(b"e", b"E", 1) if b"e" in body else body + b" "
    headers = {"Content-Type": content_type}
    if forgery is not Forgery.MISSING_TIMESTAMP:
        headers[TIMESTAMP_HEADER] = str(timestamp)
    if forgery is not Forgery.MISSING_SIGNATURE:
        headers[SIGNATURE_HEADER] = signature
    if retry_num is not None:
        headers[RETRY_NUM_HEADER] = str(retry_num)
        headers[RETRY_REASON_HEADER] = retry_reason or "http_timeout"
    return SignedRequest(body=body, headers=headers)
