"""One ECS call from bytes to answer: gateway checks, faults, the operation, counting, rendering."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.sim.ecs.auth import Gateway, WireRequest
from bot.sim.ecs.codes import SimError
from bot.sim.ecs.counters import DROPPED, OK, CallCounters
from bot.sim.ecs.faults import Faults, FaultSpec
from bot.sim.ecs.operations import ATTACH, Operations
from bot.sim.ecs.render import Reply, error_reply, new_request_id, success_reply
from bot.sim.ecs.world import World

__all__ = ["EcsService"]

log = logging.getLogger(__name__)
NO_ACTION = "-"


class EcsService:
    """Turns a WireRequest into a Reply; safe to call from many threads at once."""

    def __init__(
        self,
        *,
        world: World,
        faults: Faults,
        counters: CallCounters,
        gateway: Gateway,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.world = world
        self.faults = faults
        self.counters = counters
        self.gateway = gateway
        self._sleep = sleep
        self._operations = Operations(world, self._accepted)

    def _accepted(self, action: str, eni_id: str) -> None:
        if action == ATTACH:
            self.counters.record_attach(eni_id)
        else:
            self.counters.record_detach(eni_id)

    def handle(self, request: WireRequest, *, host_id: str) -> Reply:
        """Answer one call as ECS would; counts it under its action and result."""
        request_id = new_request_id()
        fmt = request.response_format
        action = request.action or NO_ACTION
        drop = False
        try:
            if request.method not in ("GET", "POST"):
                raise SimError(
                    "UnsupportedHTTPMethod", f"HTTP method {request.method} is not supported."
                )
            call = self.gateway.authenticate(request)
            action = call.action
            firing = self.faults.fire(action, self._operations.target_enis(action, call.params))
            if firing.latency:
                self._sleep(firing.latency)
            if firing.error is not None:
                raise _fault_error(firing.error)
            body = self._operations.run(action, call.version, call.params, call.key)
            drop = firing.drop_connection
            if firing.error_after_apply is not None:
                raise _fault_error(firing.error_after_apply)
        except SimError as exc:
            self.counters.record(action, exc.code)
            return error_reply(
                code=exc.code,
                message=exc.message,
                http_status=exc.http_status,
                request_id=request_id,
                host_id=host_id,
                fmt=fmt,
                headers=exc.headers,
            )
        except Exception:
            # A simulator bug must still look like ECS to the client: InternalError, 500.
            log.exception("ecs simulator failed on %s", action)
            self.counters.record(action, "InternalError")
            return error_reply(
                code="InternalError",
                message="The request processing has failed due to some unknown error.",
                http_status=500,
                request_id=request_id,
                host_id=host_id,
                fmt=fmt,
            )
        if drop:
            self.counters.record(action, DROPPED)
            return Reply(status=0, drop_connection=True)
        self.counters.record(action, OK)
        return success_reply(action, {"RequestId": request_id, **body}, fmt)


def _fault_error(spec: FaultSpec) -> SimError:
    headers = {}
    if spec.retry_after_ms is not None:
        # tea-openapi reads x-acs-retry-after as milliseconds (API_NOTES 6.1).
        headers["x-acs-retry-after"] = str(spec.retry_after_ms)
    code = spec.effective_code or "InternalError"
    return SimError(code, http_status=spec.http_status, headers=headers)
