"""A `slack_sdk.WebClient` that reports every Web API call and every HTTP 429 to `Metrics`.

`api_call` is the one method every generated method (`chat_postMessage`, …) goes through, so
overriding it sees them all. Retries happen below it, inside the HTTP layer, so 429s are counted
by a retry handler placed first in the list: it is asked about every failed attempt, records
the 429s and always declines, leaving the real handlers to decide.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.slack_response import SlackResponse

from bot.observability.metrics import Metrics

__all__ = ["InstrumentedWebClient", "RateLimitCounter"]


class RateLimitCounter(RetryHandler):
    """Counts Slack's 429 answers per method; never asks for a retry itself."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(max_retry_count=0)
        self._metrics = metrics

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        """Record a 429 and decline, so the next handler in the list decides."""
        if response is not None and response.status_code == 429:
            self._metrics.observe_rate_limited(_method_of(request.url))
        return False

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return False


def _method_of(url: str) -> str:
    """`chat.postMessage` from `https://slack.com/api/chat.postMessage?…`."""
    return urlsplit(url).path.rsplit("/", 1)[-1] or "unknown"


class InstrumentedWebClient(WebClient):
    """WebClient that records method, outcome, latency and 429s of every call in `metrics`."""

    def __init__(self, *args: Any, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics = metrics
        # A new list: the caller's (or slack_sdk's default) list is left untouched.
        handlers = [h for h in (self.retry_handlers or []) if not isinstance(h, RateLimitCounter)]
        self.retry_handlers = [RateLimitCounter(metrics), *handlers]

    @classmethod
    def like(
        cls,
        client: WebClient,
        metrics: Metrics,
        *,
        retry_handlers: list[RetryHandler] | None = None,
    ) -> InstrumentedWebClient:
        """An instrumented copy of `client` (same token, URL, timeouts, team; same retries
        unless `retry_handlers` is given: `[]` keeps only the 429 counter, which never retries).
        """
        handlers = client.retry_handlers if retry_handlers is None else retry_handlers
        return cls(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            ssl=client.ssl,
            proxy=client.proxy,
            headers=dict(client.headers),
            team_id=client.default_params.get("team_id"),
            logger=client.logger,
            retry_handlers=list(handlers or []),
            metrics=metrics,
        )

    def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> SlackResponse:
        """Call the Web API like WebClient does, and record how it went."""
        began = time.perf_counter()
        ok, error = False, "exception"  # kept if a BaseException (interrupt) escapes
        try:
            response: SlackResponse = super().api_call(
                api_method,
                http_verb=http_verb,
                files=files,
                data=data,
                params=params,
                json=json,
                headers=headers,
                auth=auth,
            )
            ok, error = True, ""
            return response
        except SlackApiError as exc:
            error = _error_of(exc.response)
            raise
        except Exception as exc:
            # Connection refused, reset, timeout: named by type, there is no Slack error string.
            error = type(exc).__name__
            raise
        finally:
            self.metrics.observe_slack_call(api_method, ok, error, time.perf_counter() - began)


def _error_of(response: Any) -> str:
    """Slack's `error` field, else `http_<status>`."""
    try:
        error = response.get("error")
    except Exception:
        error = None
    if error:
        return str(error)
    return f"http_{getattr(response, 'status_code', 'unknown')}"
