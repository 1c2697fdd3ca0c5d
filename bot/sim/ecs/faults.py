"""Fault injection: make the simulator misbehave the way ECS does, on purpose and countably.

A fault is a rule that matches calls by action and/or ENI and fires for the next `times` of them
(or for ever when `times` is null):

    kind              what a matching call gets
    throttle          `code` (default Throttling.User, HTTP 400), optional x-acs-retry-after
    server_error      `code` (default ServiceUnavailable 503; InternalError gives 500)
    error             `code` with its ECS status (or `http_status`): the forced-error fault
    latency           `seconds` of delay before the call is handled, then a normal answer
    drop_connection   the call is applied, then the socket is closed with no answer
                      (DetachNetworkInterface: the ambiguous outcome a client must handle)
    error_after_apply the call is applied, then answered with `code` (default InternalError,
                      HTTP 500): ECS's server errors do not say whether a write took effect

Every kind applies to any action (AttachNetworkInterface as much as Detach). Two behaviours are
properties of the ENI, set in the fixture or with POST /_sim/eni/<id>, which POST /_sim/faults
also accepts for convenience:
    stuck_detaching   {"eni_id": ..., "times": N}: stays Detaching until re-detached N times
                      (the ENI's `stuck_detaches`)
    attach_fails      {"eni_id": ..., "times": N}: its next N accepted attaches go Attaching,
                      then fall back to Available instead of InUse (the ENI's `fail_attaches`)
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["ENI_PROPERTY_KINDS", "Fault", "FaultKind", "FaultSpec", "Faults", "Firing"]


class FaultKind(StrEnum):
    """Kinds of fault; values are what fixtures and the control endpoint use."""

    THROTTLE = "throttle"
    SERVER_ERROR = "server_error"
    ERROR = "error"
    LATENCY = "latency"
    DROP_CONNECTION = "drop_connection"
    ERROR_AFTER_APPLY = "error_after_apply"
    STUCK_DETACHING = "stuck_detaching"
    ATTACH_FAILS = "attach_fails"


# Kinds that set a property of one ENI rather than act on calls.
ENI_PROPERTY_KINDS = (FaultKind.STUCK_DETACHING, FaultKind.ATTACH_FAILS)


_DEFAULT_CODE = {
    FaultKind.THROTTLE: "Throttling.User",
    FaultKind.SERVER_ERROR: "ServiceUnavailable",
    FaultKind.ERROR_AFTER_APPLY: "InternalError",
}


class FaultSpec(BaseModel):
    """One fault as written in a fixture or posted to /_sim/faults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: FaultKind
    action: str | None = Field(default=None, description="only calls of this action; null: all")
    eni_id: str | None = Field(default=None, description="only calls naming this ENI; null: all")
    times: int | None = Field(default=1, ge=1, description="calls it fires for; null: for ever")
    code: str | None = None
    http_status: int | None = Field(default=None, ge=400, le=599)
    retry_after_ms: int | None = Field(default=None, ge=1)
    seconds: float = Field(default=0.0, ge=0.0, le=300.0)

    @model_validator(mode="after")
    def _check(self) -> FaultSpec:
        if self.kind is FaultKind.ERROR and not self.code:
            raise ValueError("an 'error' fault needs a code")
        if self.kind is FaultKind.LATENCY and self.seconds <= 0:
            raise ValueError("a 'latency' fault needs seconds > 0")
        if self.kind in ENI_PROPERTY_KINDS and (not self.eni_id or self.times is None):
            raise ValueError(f"a '{self.kind}' fault needs eni_id and times")
        if (
            self.kind is FaultKind.SERVER_ERROR
            and self.code
            and not self.code.startswith(("ServiceUnavailable", "InternalError", "UnknownError"))
        ):
            raise ValueError("a 'server_error' code must be ServiceUnavailable* or InternalError")
        return self

    @property
    def effective_code(self) -> str | None:
        """The code the fault answers with, defaults filled in."""
        return self.code or _DEFAULT_CODE.get(self.kind)


@dataclass
class Fault:
    """A registered fault and how many firings it has left."""

    fault_id: int
    spec: FaultSpec
    remaining: int | None
    fired: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the control endpoint."""
        return {
            "id": self.fault_id,
            **self.spec.model_dump(mode="json", exclude_none=True),
            "remaining": self.remaining,
            "fired": self.fired,
        }


@dataclass(frozen=True)
class Firing:
    """What the faults decided for one call."""

    latency: float = 0.0
    error: FaultSpec | None = None  # throttle / server_error / error
    drop_connection: bool = False
    error_after_apply: FaultSpec | None = None  # applied, then answered with this error


class Faults:
    """Thread-safe registry of active faults; each call consumes the firings it matches."""

    def __init__(self, specs: Iterable[FaultSpec] = ()) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._faults: list[Fault] = []
        for spec in specs:
            self.add(spec)

    def add(self, spec: FaultSpec) -> Fault:
        """Register a fault; ENI-property kinds are set on the world instead (never fire here)."""
        with self._lock:
            fault = Fault(fault_id=next(self._ids), spec=spec, remaining=spec.times)
            self._faults.append(fault)
            return fault

    def remove(self, fault_id: int) -> bool:
        """Drop one fault; False when it was not registered."""
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.fault_id != fault_id]
            return len(self._faults) != before

    def clear(self) -> None:
        """Drop every fault."""
        with self._lock:
            self._faults.clear()

    def list(self) -> list[dict[str, Any]]:
        """Active faults as plain data."""
        with self._lock:
            return [f.as_dict() for f in self._faults]

    def fire(self, action: str, eni_ids: Iterable[str]) -> Firing:
        """Consume the faults matching this call and say what happens to it.

        Latency from every matching latency fault adds up; the first matching error-like fault
        (registration order) wins, and only it is consumed; drop_connection applies to writes.
        """
        targets = set(eni_ids)
        with self._lock:
            matching = [f for f in self._faults if _matches(f.spec, action, targets)]
            delays = [f for f in matching if f.spec.kind is FaultKind.LATENCY]
            errors = [f for f in matching if f.spec.kind in _ERROR_KINDS]
            drops = [f for f in matching if f.spec.kind in _AFTER_APPLY_KINDS]
            # An error answer means nothing was applied, so an after-apply fault (a drop, or an
            # error once applied) waits for a later call.
            chosen = delays + (errors[:1] if errors else drops[:1])
            for fault in chosen:
                fault.fired += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
            self._faults = [f for f in self._faults if f.remaining is None or f.remaining > 0]
        after = drops[0].spec if drops and not errors else None
        return Firing(
            latency=sum(f.spec.seconds for f in delays),
            error=errors[0].spec if errors else None,
            drop_connection=after is not None and after.kind is FaultKind.DROP_CONNECTION,
            error_after_apply=(
                after if after is not None and after.kind is FaultKind.ERROR_AFTER_APPLY else None
            ),
        )


_ERROR_KINDS = (FaultKind.THROTTLE, FaultKind.SERVER_ERROR, FaultKind.ERROR)
_AFTER_APPLY_KINDS = (FaultKind.DROP_CONNECTION, FaultKind.ERROR_AFTER_APPLY)


def _matches(spec: FaultSpec, action: str, targets: set[str]) -> bool:
    """Whether a fault applies to a call of `action` naming `targets`."""
    if spec.kind in ENI_PROPERTY_KINDS:
        return False
    if spec.action is not None and spec.action != action:
        return False
    return spec.eni_id is None or spec.eni_id in targets
