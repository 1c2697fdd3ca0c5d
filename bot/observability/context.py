"""Fields every log line inside a block carries (request ID, ECS request ID, ENI, action).

A contextvar, so threads and tasks each see their own: Bolt listeners and workers run in other
threads, so each sets its context where it picks up a request.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

__all__ = ["current_context", "request_context"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_CONTEXT: ContextVar[Mapping[str, Any]] = ContextVar("eni_bot_log_context", default=_EMPTY)


@contextmanager
def request_context(**fields: Any) -> Iterator[Mapping[str, Any]]:
    """Add `fields` (None values skipped) to every log line until the block ends; nests."""
    merged = {**_CONTEXT.get(), **{k: v for k, v in fields.items() if v is not None}}
    token = _CONTEXT.set(MappingProxyType(merged))
    try:
        yield _CONTEXT.get()
    finally:
        _CONTEXT.reset(token)


def current_context() -> Mapping[str, Any]:
    """The fields in force here."""
    return _CONTEXT.get()
