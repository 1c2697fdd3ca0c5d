"""The ECS client: three RPC operations over one pooled httpx client, V3-signed, with retries.

Requests are sent the way the official SDK sends RPC calls under ACS3-HMAC-SHA256: POST to `/`,
operation parameters in a query string we encode ourselves (so the bytes signed are the bytes
sent), empty body, `host` and `x-acs-*` headers signed. A fresh nonce, date and credential are
used for every attempt, so a retry is never a replay and a rotated STS token is picked up.
"""

from __future__ import annotations

import html
import json
import logging
import re
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol, Self

import httpx

from bot.ecs.credentials import Credential, CredentialsProvider
from bot.ecs.errors import (
    OUTCOME_UNKNOWN,
    Category,
    EcsError,
    EcsTransportError,
    OutcomeUnknownError,
    Reaction,
)
from bot.ecs.models import Instance, NetworkInterface
from bot.ecs.retry import RetryPolicy, parse_retry_after
from bot.ecs.signer import EMPTY_PAYLOAD_SHA256, canonical_query, sign_v3
from bot.regions import REGION_ID_RE

__all__ = [
    "API_VERSION",
    "DEFAULT_USER_AGENT",
    "MAX_IDS_PER_CALL",
    "MAX_TIMEOUT",
    "EcsCallObserver",
    "EcsClient",
]

log = logging.getLogger(__name__)

API_VERSION = "2014-05-26"
MAX_IDS_PER_CALL = 100  # NetworkInterfaceId.N and InstanceIds both take at most 100 IDs
MAX_TIMEOUT = 20.0  # CONTRACT: an ECS call times out after at most 20 s
MAX_PAGES = 1000  # a NextToken loop longer than this is a server bug, not data
DEFAULT_USER_AGENT = "eni-detach-bot/0.1 (+httpx)"
DETACH = "DetachNetworkInterface"
DESCRIBE_ENIS = "DescribeNetworkInterfaces"
DESCRIBE_INSTANCES = "DescribeInstances"
_ERROR_FIELD = re.compile(r"<(Code|Message|RequestId|HostId|Recommend)>(.*?)</\1>", re.S)
_MAX_ECHO = 300  # characters of an unreadable body kept in an error message


class EcsCallObserver(Protocol):
    """Told about every HTTP attempt (metrics); `code` is "OK" on success."""

    def on_call(self, action: str, code: str, seconds: float, attempt: int) -> None:
        """Record one attempt."""
        ...


class _Retryable(Exception):
    """An attempt failed in a way another attempt may fix; holds the error to raise at the end."""

    def __init__(self, error: EcsError, retry_after: float | None = None) -> None:
        super().__init__(error.code)
        self.error = error
        self.retry_after = retry_after


class EcsClient:
    """DetachNetworkInterface, DescribeNetworkInterfaces and DescribeInstances against ECS."""

    def __init__(
        self,
        *,
        credentials: CredentialsProvider,
        endpoint: str | None = None,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        observer: EcsCallObserver | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        if not 0 < timeout <= MAX_TIMEOUT:
            raise ValueError(f"timeout must be in (0, {MAX_TIMEOUT}] seconds")
        self._credentials = credentials
        self._endpoint = _parse_endpoint(endpoint) if endpoint else None
        self._retry = retry or RetryPolicy()
        self._observer = observer
        # The four phases share the budget, so one attempt never exceeds `timeout` in total
        # connection setup + send + wait for the answer + wait for a pooled connection.
        self._http = httpx.Client(
            timeout=httpx.Timeout(
                connect=timeout * 0.3, write=timeout * 0.1, read=timeout * 0.5, pool=timeout * 0.1
            ),
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            headers={"user-agent": user_agent, "accept": "application/json"},
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )

    # ---- lifecycle ----

    def close(self) -> None:
        """Close pooled connections."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        where = str(self._endpoint) if self._endpoint else "regional endpoints"
        return f"EcsClient({where})"

    # ---- operations ----

    def detach_network_interface(self, region: str, eni_id: str, instance_id: str) -> str:
        """Ask ECS to detach the ENI; returns ECS's RequestId (detaching is asynchronous)."""
        body = self._call(
            DETACH,
            region,
            {"RegionId": region, "NetworkInterfaceId": eni_id, "InstanceId": instance_id},
            idempotent=False,
        )
        return str(body.get("RequestId") or "")

    def describe_network_interfaces(
        self, region: str, eni_ids: Sequence[str]
    ) -> list[NetworkInterface]:
        """Describe any number of ENIs in ⌈N/100⌉ calls (plus pages); unknown IDs are absent."""
        result: list[NetworkInterface] = []
        for chunk in _chunks(_unique(eni_ids), MAX_IDS_PER_CALL):
            params = {"RegionId": region, "MaxResults": str(MAX_IDS_PER_CALL)}
            params.update({f"NetworkInterfaceId.{i}": eni for i, eni in enumerate(chunk, 1)})
            for page in self._pages(DESCRIBE_ENIS, region, params):
                for item in _wrapped(page, "NetworkInterfaceSets", "NetworkInterfaceSet"):
                    result.append(NetworkInterface.from_api(item, region_id=region))
        return result

    def describe_instances(self, region: str, instance_ids: Sequence[str]) -> list[Instance]:
        """Describe instances, at most 100 IDs per call; unknown IDs are absent."""
        result: list[Instance] = []
        for chunk in _chunks(_unique(instance_ids), MAX_IDS_PER_CALL):
            params = {
                "RegionId": region,
                "InstanceIds": json.dumps(chunk, separators=(",", ":")),
                "PageSize": str(MAX_IDS_PER_CALL),
            }
            for page in self._pages(DESCRIBE_INSTANCES, region, params):
                for item in _wrapped(page, "Instances", "Instance"):
                    result.append(Instance.from_api(item, region_id=region))
        return result

    # ---- plumbing ----

    def _pages(
        self, action: str, region: str, params: Mapping[str, str]
    ) -> Iterator[Mapping[str, Any]]:
        """Yield every page of a Describe, following NextToken until it comes back empty."""
        seen: set[str] = set()
        token: str | None = None
        for _ in range(MAX_PAGES):
            page_params = dict(params)
            if token:
                page_params["NextToken"] = token
            body = self._call(action, region, page_params, idempotent=True)
            yield body
            token = str(body.get("NextToken") or "") or None
            if token is None or token in seen:
                return
            seen.add(token)
        raise EcsError("Response.Malformed", f"{action} returned more than {MAX_PAGES} pages")

    def _call(
        self, action: str, region: str, params: Mapping[str, str], *, idempotent: bool
    ) -> Mapping[str, Any]:
        """One operation with retries; `idempotent` False means a lost answer is never re-sent."""
        base = self._base_url(region)
        policy = self._retry
        started = policy.clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(action, region, base, params, attempt, idempotent=idempotent)
            except _Retryable as failure:
                elapsed = policy.clock() - started
                delay = policy.delay(attempt, failure.retry_after)
                if attempt >= policy.max_attempts or elapsed + delay > policy.max_total:
                    log.info(
                        "ecs giving up action=%s region=%s code=%s attempts=%d",
                        action, region, failure.error.code, attempt,
                    )  # fmt: skip
                    raise failure.error from None
                log.info(
                    "ecs retry action=%s region=%s code=%s attempt=%d wait=%.3fs",
                    action, region, failure.error.code, attempt, delay,
                )  # fmt: skip
                policy.sleep(delay)

    def _attempt(
        self,
        action: str,
        region: str,
        base: httpx.URL,
        params: Mapping[str, str],
        attempt: int,
        *,
        idempotent: bool,
    ) -> Mapping[str, Any]:
        """Send one signed request and turn its outcome into a body, an error or a retry."""
        credential = self._credentials.get()
        request = self._build(action, base, params, credential)
        began = time.perf_counter()
        code = "OK"
        request_id: str | None = None
        try:
            try:
                response = self._http.send(request)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # Nothing reached ECS, so even a Detach may be sent again.
                code = "Transport.ConnectError"
                if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
                    code = "Transport.Timeout"
                raise _Retryable(
                    EcsTransportError(code, _scrub(_exc_text(exc), credential), action=action)
                ) from None
            except httpx.RequestError as exc:
                # The request may have reached ECS (a timeout, a dropped connection, or an answer
                # that could not be decoded): a Describe can be repeated, a Detach cannot.
                timed_out = isinstance(exc, httpx.TimeoutException)
                code = "Transport.Timeout" if timed_out else "Transport.Error"
                text = _scrub(_exc_text(exc), credential)
                if not idempotent:
                    code = OUTCOME_UNKNOWN
                    raise OutcomeUnknownError(code, text, action=action) from None
                raise _Retryable(EcsTransportError(code, text, action=action)) from None
            body, error = _read(response, action, credential)
            if error is None:
                request_id = str(body.get("RequestId") or "") or None
                return body
            code = error.code
            request_id = error.request_id
            if not idempotent and _may_have_applied(error):
                raise _as_outcome_unknown(error) from None
            if _retryable(error):
                retry_after = parse_retry_after(response.headers.get("x-acs-retry-after"))
                raise _Retryable(error, retry_after) from None
            raise error
        finally:
            seconds = time.perf_counter() - began
            self._report(action, region, code, request_id, seconds, attempt)

    def _build(
        self, action: str, base: httpx.URL, params: Mapping[str, str], credential: Credential
    ) -> httpx.Request:
        """A signed request whose query string is exactly the one that was signed."""
        host = base.netloc.decode("ascii")
        path = base.path or "/"
        headers = {
            "host": host,
            "x-acs-action": action,
            "x-acs-version": API_VERSION,
            "x-acs-date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "x-acs-signature-nonce": uuid.uuid4().hex,
            "x-acs-content-sha256": EMPTY_PAYLOAD_SHA256,
        }
        if credential.security_token:
            headers["x-acs-security-token"] = credential.security_token
        signature = sign_v3(
            method="POST",
            path=path,
            query=params,
            headers=headers,
            body=b"",
            access_key_id=credential.access_key_id,
            access_key_secret=credential.access_key_secret,
        )
        headers["authorization"] = signature.authorization
        url = f"{base.scheme}://{host}{path}?{canonical_query(params)}"
        return self._http.build_request("POST", url, headers=headers, content=b"")

    def _base_url(self, region: str) -> httpx.URL:
        if self._endpoint is not None:
            return self._endpoint
        # The region becomes part of a hostname: only a well-formed region ID may go there.
        if not REGION_ID_RE.fullmatch(region):
            raise EcsError(
                "InvalidOperation.InvalidRegion",
                f"{region!r} is not a region ID (checked by the bot before calling ECS)",
            )
        return httpx.URL(f"https://ecs.{region}.aliyuncs.com/")

    def _report(
        self,
        action: str,
        region: str,
        code: str,
        request_id: str | None,
        seconds: float,
        attempt: int,
    ) -> None:
        level = logging.DEBUG if code == "OK" else logging.INFO
        log.log(
            level,
            "ecs call action=%s region=%s code=%s ecs_request_id=%s seconds=%.3f attempt=%d",
            action, region, code, request_id, seconds, attempt,
            extra={"ecs_action": action, "ecs_code": code, "ecs_request_id": request_id},
        )  # fmt: skip
        if self._observer is not None:
            try:
                self._observer.on_call(action, code, seconds, attempt)
            except Exception:
                # Metrics must never break a detach.
                log.exception("ecs call observer failed")


def _parse_endpoint(endpoint: str) -> httpx.URL:
    """Validate ENIBOT_ECS_ENDPOINT-style base URLs (scheme and host, optional path)."""
    url = httpx.URL(endpoint)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"ECS endpoint must be an http(s) URL with a host, got {endpoint!r}")
    if url.query or url.fragment:
        raise ValueError("ECS endpoint must not carry a query or fragment")
    path = url.path if url.path.endswith("/") else url.path + "/"
    return url.copy_with(path=path)


def _may_have_applied(error: EcsError) -> bool:
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


def _as_outcome_unknown(error: EcsError) -> OutcomeUnknownError:
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


def _retryable(error: EcsError) -> bool:
    """Throttling, 5xx and server-side hiccups: the same call may succeed a moment later."""
    if isinstance(error, OutcomeUnknownError):
        return False
    if error.http_status >= 500:
        return True
    return error.entry.reaction is Reaction.RETRY_NOW


def _read(
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
            "Response.Malformed", _scrub(text, credential), http_status=status, action=action
        )
    fields = _error_fields(parsed, raw)
    code = fields.get("Code") or f"HTTP.{status}"
    message = fields.get("Message") or (
        "" if fields.get("Code") else f"HTTP {status}: {_echo(raw)}"
    )
    return {}, EcsError(
        code,
        _scrub(message, credential),
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


def _exc_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _scrub(text: str, credential: Credential) -> str:
    """Remove the secret and token should a server or library ever echo them back."""
    for secret in credential.secrets():
        text = text.replace(secret, "<redacted>")
    return text


def _wrapped(body: Mapping[str, Any], outer: str, inner: str) -> list[Mapping[str, Any]]:
    container = body.get(outer)
    items = container.get(inner) if isinstance(container, Mapping) else None
    if isinstance(items, Mapping):
        items = [items]
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, Mapping)]


def _unique(ids: Sequence[str]) -> list[str]:
    if isinstance(ids, str):
        raise TypeError("pass a sequence of IDs, not one string")
    return list(dict.fromkeys(ids))


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
