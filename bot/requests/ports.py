"""What the use cases need from outside, as protocols: the ECS operations and a clock.

`bot.ecs.client.EcsClient` implements `Ecs`; tests may pass anything that has these methods.
The domain imports only these shapes, never an HTTP client.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from bot.db import utcnow
from bot.ecs.catalogue import ATTACH, DETACH
from bot.ecs.models import EniStatus, EniType, Instance, NetworkInterface

__all__ = [
    "ATTACH",
    "DESCRIBE_ENIS",
    "DESCRIBE_INSTANCES",
    "DETACH",
    "MAX_IDS_PER_CALL",
    "SYSTEM_CLOCK",
    "Clock",
    "Ecs",
]

Clock = Callable[[], datetime]

# The host's clock, for callers that inject none; the workers are given the database's
# (`bot.clock.DatabaseClock`), since leases written by one process are read by another.
SYSTEM_CLOCK: Clock = utcnow

# ECS's action names, as the audit trail records each call (the client sends the same names;
# the two state-changing ones come from the error catalogue, which keys its entries by them).
DESCRIBE_ENIS = "DescribeNetworkInterfaces"
DESCRIBE_INSTANCES = "DescribeInstances"

# IDs per Describe call (NetworkInterfaceId.N, InstanceIds): the API's limit. The client splits
# longer lists itself; a use case that records one call's answers together sizes its chunks so.
MAX_IDS_PER_CALL = 100


class Ecs(Protocol):
    """The ECS operations the use cases call (errors: `bot.ecs.errors.EcsError` and subtypes)."""

    def describe_network_interfaces(
        self, region: str, eni_ids: Sequence[str]
    ) -> list[NetworkInterface]:
        """The ENIs that exist among `eni_ids` (unknown IDs are absent)."""
        ...

    def find_network_interfaces(
        self,
        region: str,
        *,
        tags: Mapping[str, str | None] | None = None,
        instance_id: str | None = None,
        eni_type: EniType | None = None,
        status: EniStatus | None = None,
        page_size: int = MAX_IDS_PER_CALL,
    ) -> list[NetworkInterface]:
        """Every ENI of the region matching all the filters (tags ANDed; at least one filter)."""
        ...

    def describe_instances(self, region: str, instance_ids: Sequence[str]) -> list[Instance]:
        """The instances that exist among `instance_ids`."""
        ...

    def detach_network_interface(self, region: str, eni_id: str, instance_id: str) -> str:
        """Send one Detach; returns ECS's RequestId."""
        ...

    def attach_network_interface(self, region: str, eni_id: str, instance_id: str) -> str:
        """Send one Attach; returns ECS's RequestId (OutcomeUnknownError: it may have applied)."""
        ...
