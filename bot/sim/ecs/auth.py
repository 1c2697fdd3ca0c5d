"""The gateway's checks before any operation runs: V3 or V1 signature, clock window, nonce, STS.

Order (each failure answers as ECS's gateway does): credential lookup → timestamp window →
payload hash (V3) → signature → security token → nonce. A nonce is only remembered once the
request has passed every other check, so a rejected request does not burn it.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from urllib.parse import parse_qsl

from bot.ecs.signer import hashed_payload, parse_v3_authorization, sign_v1, sign_v3
from bot.sim.ecs.codes import SimError, missing
from bot.sim.ecs.render import Format
from bot.sim.ecs.world import AccessKey

__all__ = ["AuthenticatedCall", "Gateway", "WireRequest", "check_v3_signature"]

V3_PREFIX = "ACS3-HMAC-SHA256 "
WINDOW_SECONDS = 15 * 60
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# V1 parameters that belong to the protocol, not to the operation.
V1_COMMON = frozenset(
    {
        "Action",
        "Version",
        "Format",
        "AccessKeyId",
        "Signature",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "SignatureType",
        "Timestamp",
        "SecurityToken",
    }
)


@dataclass(frozen=True)
class WireRequest:
    """One HTTP request as the server read it."""

    method: str
    path: str
    raw_query: str
    headers: Message
    body: bytes

    @property
    def query(self) -> dict[str, str]:
        """Decoded query parameters (a `+` is a space, as the SDKs' gateway reads it)."""
        return dict(parse_qsl(self.raw_query, keep_blank_values=True))

    @property
    def form(self) -> dict[str, str]:
        """Decoded form-body parameters, when the body is a form."""
        content_type = (self.headers.get("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded" or not self.body:
            return {}
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    @property
    def is_v3(self) -> bool:
        """Whether the request carries an ACS3 Authorization header."""
        return (self.headers.get("authorization") or "").startswith(V3_PREFIX)

    @property
    def action(self) -> str | None:
        """The operation named, before any check (for counters and error formats)."""
        if self.is_v3 or self.headers.get("x-acs-action"):
            return self.headers.get("x-acs-action")
        return self.form.get("Action") or self.query.get("Action")

    @property
    def response_format(self) -> Format:
        """JSON unless Format=XML; a V1 call without Format gets XML, as ECS answers it."""
        value = self.form.get("Format") or self.query.get("Format")
        if value is None:
            return Format.JSON if self.is_v3 or self.headers.get("x-acs-action") else Format.XML
        return Format.XML if value.upper() == "XML" else Format.JSON


def check_v3_signature(
    request: WireRequest,
    *,
    key_id: str,
    signed_names: Sequence[str],
    signature: str,
    secret: str,
) -> None:
    """Sign the request again over the headers it names; SimError as ECS answers a mismatch.

    The one place an ACS3 signature is checked: the gateway calls it after its other header
    checks, and the tests' scripted ECS server (tests/ecs/scripted_ecs.py) calls it alone.
    """
    signed_headers = {}
    for name in signed_names:
        values = request.headers.get_all(name)
        if values is None:
            raise SimError("IncompleteSignature", f"Signed header {name} is not in the request.")
        signed_headers[name] = ",".join(v.strip() for v in values)
    expected = sign_v3(
        method=request.method,
        path=request.path,
        query=request.query,
        headers=signed_headers,
        body=request.body,
        access_key_id=key_id,
        access_key_secret=secret,
    )
    if not hmac.compare_digest(expected.signature, signature):
        raise SimError(
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation. server string to sign "
            f"is:{expected.string_to_sign}",
        )


@dataclass(frozen=True)
class AuthenticatedCall:
    """A request the gateway accepted: who sent it, what it asks for, with which params."""

    key: AccessKey
    action: str
    version: str
    params: dict[str, str]
    signature_version: str


class Gateway:
    """Verifies requests against the configured keys; remembers nonces for the window."""

    def __init__(
        self,
        keys: Callable[[str], AccessKey | None],
        *,
        now: Callable[[], float] = time.time,
        window: float = WINDOW_SECONDS,
    ) -> None:
        self._keys = keys
        self._now = now
        self._window = window
        self._lock = threading.Lock()
        self._nonces: dict[tuple[str, str], float] = {}
        self._next_prune = 0.0

    def authenticate(self, request: WireRequest) -> AuthenticatedCall:
        """Return the accepted call or raise the SimError the gateway answers with."""
        if request.is_v3:
            return self._v3(request)
        if request.headers.get("authorization"):
            raise SimError(
                "IncompleteSignature", "The Authorization header is not ACS3-HMAC-SHA256."
            )
        return self._v1(request)

    # ---- V3 ----

    def _v3(self, request: WireRequest) -> AuthenticatedCall:
        headers = request.headers
        try:
            key_id, signed_names, signature = parse_v3_authorization(headers["authorization"])
        except ValueError as exc:
            raise SimError(
                "IncompleteSignature", f"Malformed Authorization header: {exc}"
            ) from None
        key = self._key(key_id)
        for name in ("x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce"):
            if not headers.get(name):
                raise missing(name)
        content_sha = headers.get("x-acs-content-sha256")
        if content_sha is None:
            raise missing("x-acs-content-sha256")
        must_sign = {"host"} | {n.lower() for n in headers if n.lower().startswith("x-acs-")}
        if headers.get("content-type"):
            must_sign.add("content-type")
        unsigned = sorted(must_sign - set(signed_names))
        if unsigned:
            raise SimError(
                "IncompleteSignature", f"These headers must be signed: {', '.join(unsigned)}."
            )
        self._check_time(headers["x-acs-date"])
        if content_sha != hashed_payload(request.body):
            raise SimError(
                "SignatureDoesNotMatch",
                "The x-acs-content-sha256 header does not match the SHA-256 of the request body.",
            )
        check_v3_signature(
            request,
            key_id=key_id,
            signed_names=signed_names,
            signature=signature,
            secret=key.secret,
        )
        self._check_token(key, headers.get("x-acs-security-token"))
        self._use_nonce(key_id, headers["x-acs-signature-nonce"])
        return AuthenticatedCall(
            key=key,
            action=headers["x-acs-action"],
            version=headers["x-acs-version"],
            params={k: v for k, v in {**request.query, **request.form}.items() if k != "Format"},
            signature_version="V3",
        )

    # ---- V1 ----

    def _v1(self, request: WireRequest) -> AuthenticatedCall:
        params = {**request.query, **request.form}
        for name in (
            "AccessKeyId",
            "Signature",
            "SignatureNonce",
            "Timestamp",
            "Action",
            "Version",
        ):
            if not params.get(name):
                raise missing(name)
        if params.get("SignatureMethod") != "HMAC-SHA1" or params.get("SignatureVersion") != "1.0":
            raise SimError(
                "IncompleteSignature",
                "SignatureMethod must be HMAC-SHA1 and SignatureVersion 1.0 (or sign with ACS3).",
            )
        key = self._key(params["AccessKeyId"])
        self._check_time(params["Timestamp"])
        signed = {k: v for k, v in params.items() if k != "Signature"}
        expected = sign_v1(method=request.method, params=signed, access_key_secret=key.secret)
        if not hmac.compare_digest(expected.signature, params["Signature"]):
            # ECS echoes its StringToSign; not when it would echo a security token back.
            echo = (
                ""
                if "SecurityToken" in params
                else f" server string to sign is:{expected.string_to_sign}"
            )
            raise SimError(
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation." + echo,
            )
        self._check_token(key, params.get("SecurityToken"))
        self._use_nonce(key.access_key_id, params["SignatureNonce"])
        return AuthenticatedCall(
            key=key,
            action=params["Action"],
            version=params["Version"],
            params={k: v for k, v in params.items() if k not in V1_COMMON},
            signature_version="V1",
        )

    # ---- shared checks ----

    def _key(self, key_id: str) -> AccessKey:
        key = self._keys(key_id)
        if key is None:
            raise SimError("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        return key

    def _check_time(self, stamp: str) -> None:
        try:
            when = datetime.strptime(stamp, TIMESTAMP_FORMAT).replace(tzinfo=UTC).timestamp()
        except ValueError:
            raise SimError(
                "InvalidTimeStamp.Format",
                f"Specified time stamp or date value is not well formatted: {stamp}.",
            ) from None
        if abs(self._now() - when) > self._window:
            raise SimError(
                "InvalidTimeStamp.Expired",
                f"Specified time stamp or date value is expired: {stamp}.",
            )

    def _check_token(self, key: AccessKey, sent: str | None) -> None:
        if key.security_token is None:
            if sent:
                raise SimError(
                    "InvalidSecurityToken.MismatchWithAccessKey",
                    "A SecurityToken was sent with a permanent AccessKey.",
                )
            return
        if not sent:
            raise SimError(
                "InvalidSecurityToken.Malformed", "This AccessKey requires a SecurityToken."
            )
        if not hmac.compare_digest(sent.encode(), key.security_token.encode()):
            raise SimError(
                "InvalidSecurityToken.MismatchWithAccessKey",
                "Specified SecurityToken mismatch with the AccessKey.",
            )
        if key.security_token_expired:
            raise SimError("InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")

    def _use_nonce(self, key_id: str, nonce: str) -> None:
        now = self._now()
        with self._lock:
            if now >= self._next_prune:
                # Forget nonces older than the window: a replay that old fails the clock check.
                cutoff = now - self._window
                self._nonces = {k: t for k, t in self._nonces.items() if t >= cutoff}
                self._next_prune = now + 60
            if (key_id, nonce) in self._nonces:
                raise SimError(
                    "SignatureNonceUsed", f"Specified signature nonce was used already: {nonce}."
                )
            self._nonces[(key_id, nonce)] = now
