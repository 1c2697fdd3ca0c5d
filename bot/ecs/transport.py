"""One V3-signed RPC call to ECS over a pooled httpx client, with the retry rules of each kind.

Requests are sent the way the official SDK sends RPC calls under ACS3-HMAC-SHA256: POST to `/`,
operation parameters in a query string we encode ourselves (so the bytes signed are the bytes
sent), empty body, `host` and `x-acs-*` headers signed. A fresh nonce, date and credential are
used for every attempt, so a retry is never a replay and a rotated STS token is picked up.

Two kinds of call:
    read()/pages()   a Describe: any failure another attempt may fix is retried with backoff
    change()         a state-changing call (Detach, Attach): retried only when ECS surely did
                     nothing (throttling, no connection); a lost, unreadable or server-error
                     answer raises OutcomeUnknownError and is never re-sent here
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from bot.ecs.answers import (
    as_outcome_unknown,
    exc_text,
    may_have_applied,
    read_answer,
    retryable,
    scrub,
)
from bot.ecs.credentials import Credential, CredentialsProvider
from bot.ecs.errors import EcsError, EcsTransportError, OutcomeUnknownError, outcome_unknown_code
from bot.ecs.retry import RetryPolicy, parse_retry_after
from bot.ecs.signer import EMPTY_PAYLOAD_SHA256, canonical_query, sign_v3
from bot.regions import REGION_ID_RE

__all__ = [
    "API_VERSION",
    "DEFAULT_USER_AGENT",
    "MAX_PAGES",
    "MAX_TIMEOUT",
    "EcsCallObserver",
    "EcsTransport",
]

log = logging.getLogger(__name__)

API_VERSION = "2014-05-26"
MAX_TIMEOUT = 20.0  # CONTRACT: an ECS call times out after at most 20 s
MAX_PAGES = 1000  # a NextToken loop longer than this is a server bug, not data
DEFAULT_USER_AGENT = "eni-detach-bot/0.1 (+httpx)"


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


class EcsTransport:
    """Signs, sends, retries and reads ECS RPC calls; knows no operation's parameters."""

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

    def close(self) -> None:
        """Close pooled connections."""
        self._http.close()

    @property
    def where(self) -> str:
        """The endpoint for people and logs (never a secret)."""
        return str(self._endpoint) if self._endpoint else "regional endpoints"

    # ---- the two kinds of call ----

    def read(self, action: str, region: str, params: Mapping[str, str]) -> Mapping[str, Any]:
        """A call that changes nothing, so any attempt may be repeated."""
        return self._call(action, region, params, idempotent=True)

    def change(self, action: str, region: str, params: Mapping[str, str]) -> str:
        """A state-changing call, sent at most once unless ECS surely did not act; its RequestId.

        Raises OutcomeUnknownError (ECS's code and RequestId kept when it answered) when the
        answer was lost, unreadable or a server error: the caller must Describe before anything
        is sent again.
        """
        body = self._call(action, region, params, idempotent=False)
        return str(body.get("RequestId") or "")

    def pages(
        self, action: str, region: str, params: Mapping[str, str]
    ) -> Iterator[Mapping[str, Any]]:
        """Yield every page of a Describe, following NextToken until it comes back empty."""
        seen: set[str] = set()
        token: str | None = None
        for _ in range(MAX_PAGES):
            page_params = dict(params)
            if token:
                page_params["NextToken"] = token
            body = self.read(action, region, page_params)
            yield body
            token = str(body.get("NextToken") or "") or None
            if token is None or token in seen:
                return
            seen.add(token)
        raise EcsError("Response.Malformed", f"{action} returned more than {MAX_PAGES} pages")

    # ---- plumbing ----

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
                # Nothing reached ECS, so even a state-changing call may be sent again.
                code = "Transport.ConnectError"
                if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
                    code = "Transport.Timeout"
                raise _Retryable(
                    EcsTransportError(code, scrub(exc_text(exc), credential), action=action)
                ) from None
            except httpx.RequestError as exc:
                # The request may have reached ECS (a timeout, a dropped connection, or an answer
                # that could not be decoded): a Describe can be repeated, a change cannot.
                timed_out = isinstance(exc, httpx.TimeoutException)
                code = "Transport.Timeout" if timed_out else "Transport.Error"
                text = scrub(exc_text(exc), credential)
                if not idempotent:
                    code = outcome_unknown_code(action)
                    raise OutcomeUnknownError(code, text, action=action) from None
                raise _Retryable(EcsTransportError(code, text, action=action)) from None
            body, error = read_answer(response, action, credential)
            if error is None:
                request_id = str(body.get("RequestId") or "") or None
                return body
            code = error.code
            request_id = error.request_id
            if not idempotent and may_have_applied(error):
                raise as_outcome_unknown(error) from None
            if retryable(error):
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
                # Metrics must never break a detach or an attach.
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
