"""Alibaba Cloud RPC request signing (ACS3-HMAC-SHA256 and legacy HMAC-SHA1), stdlib only.

Kept free of third-party imports so the ECS simulator and the client share one implementation
of the exact byte strings that ECS signs (see API_NOTES sections 1 and 2).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

__all__ = [
    "EMPTY_PAYLOAD_SHA256",
    "V1_KEY_SUFFIX",
    "V3_ALGORITHM",
    "V1Signature",
    "V3Signature",
    "canonical_headers",
    "canonical_query",
    "hashed_payload",
    "parse_v3_authorization",
    "percent_encode",
    "sign_v1",
    "sign_v3",
]

V3_ALGORITHM = "ACS3-HMAC-SHA256"
# V1 keys HMAC with the secret followed by a literal "&" (API_NOTES 1.3 step 4).
V1_KEY_SUFFIX = "&"
EMPTY_PAYLOAD_SHA256 = hashlib.sha256(b"").hexdigest()


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as ECS signs it: UTF-8, only A-Z a-z 0-9 - _ . ~ left as they are."""
    # Python's quote always keeps "-_.", "~" must be listed; space becomes %20, "*" becomes %2A.
    return quote(value, safe="~", encoding="utf-8", errors="strict")


def canonical_query(params: Mapping[str, str]) -> str:
    """Sorted, encoded `k=v&...` string: used for the wire query and the signed query alike."""
    # Sort by the raw key (byte order, uppercase before lowercase), as the SDK and docs do.
    return "&".join(
        f"{percent_encode(key)}={percent_encode(params[key])}"
        for key in sorted(params, key=lambda k: k.encode("utf-8"))
    )


def hashed_payload(body: bytes) -> str:
    """Lowercase hex SHA-256 of the exact body bytes (the x-acs-content-sha256 value)."""
    return hashlib.sha256(body).hexdigest()


def canonical_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    """Return (CanonicalHeaders, SignedHeaders) for every header given."""
    merged: dict[str, list[str]] = {}
    for name, value in headers.items():
        # Names compare case-insensitively; duplicates are comma-joined like the SDK does.
        merged.setdefault(name.strip().lower(), []).append(value.strip())
    names = sorted(merged)
    lines = "".join(f"{name}:{','.join(merged[name])}\n" for name in names)
    return lines, ";".join(names)


@dataclass(frozen=True)
class V3Signature:
    """Every intermediate string of one V3 signature, so tests and the simulator can compare."""

    canonical_request: str
    string_to_sign: str
    signature: str
    signed_headers: str
    authorization: str


def sign_v3(
    *,
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
    access_key_id: str,
    access_key_secret: str,
) -> V3Signature:
    """Sign a request with ACS3-HMAC-SHA256 over every header given (API_NOTES 2.2)."""
    header_lines, signed_headers = canonical_headers(headers)
    canonical_request = "\n".join(
        [
            method.upper(),
            path or "/",
            canonical_query(query),
            header_lines,
            signed_headers,
            hashed_payload(body),
        ]
    )
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    string_to_sign = f"{V3_ALGORITHM}\n{digest}"
    signature = hmac.new(
        access_key_secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    authorization = (
        f"{V3_ALGORITHM} Credential={access_key_id},"
        f"SignedHeaders={signed_headers},Signature={signature}"
    )
    return V3Signature(
        canonical_request=canonical_request,
        string_to_sign=string_to_sign,
        signature=signature,
        signed_headers=signed_headers,
        authorization=authorization,
    )


@dataclass(frozen=True)
class V1Signature:
    """The StringToSign and base64 signature of one HMAC-SHA1 (Signature Version 1.0) request."""

    string_to_sign: str
    signature: str


def sign_v1(*, method: str, params: Mapping[str, str], access_key_secret: str) -> V1Signature:
    """Sign RPC params (all except Signature) with HMAC-SHA1 (API_NOTES 1.3)."""
    string_to_sign = (
        f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"
    )
    key = (access_key_secret + V1_KEY_SUFFIX).encode("utf-8")
    mac = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha1).digest()
    return V1Signature(string_to_sign=string_to_sign, signature=base64.b64encode(mac).decode())


def parse_v3_authorization(header: str) -> tuple[str, list[str], str]:
    """Split an ACS3 Authorization header into (access key id, signed header names, signature)."""
    prefix = V3_ALGORITHM + " "
    if not header.startswith(prefix):
        raise ValueError(f"Authorization does not start with {V3_ALGORITHM!r}")
    fields: dict[str, str] = {}
    for part in header[len(prefix) :].split(","):
        name, sep, value = part.strip().partition("=")
        if not sep or not value or name in fields:
            raise ValueError(f"malformed Authorization field {name!r}")
        fields[name] = value
    expected = {"Credential", "SignedHeaders", "Signature"}
    if set(fields) != expected:
        missing = sorted(expected - set(fields))
        extra = sorted(set(fields) - expected)
        raise ValueError(f"Authorization fields missing {missing} or unexpected {extra}")
    signed = fields["SignedHeaders"].split(";")
    if any(not name or name != name.lower() for name in signed):
        raise ValueError("SignedHeaders must be non-empty lowercase names")
    return fields["Credential"], signed, fields["Signature"]
