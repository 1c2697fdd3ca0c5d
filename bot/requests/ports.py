"""What the use cases need from outside, as protocols: the ECS operations and a clock.

`bot.ecs.client.EcsClient` implements `Ecs`; tests may pass anything that has these methods.
The domain imports only these shapes, never an HTTP client.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from bot.ecs.models import EniStatus, EniType, Instance, NetworkInterface

__all__ = ["Clock", "Ecs"]

Clock = Callable[[], datetime]


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
        page_size: int = 100,
    ) -> list[NetworkInterface]:
        """Every ENI of the region matching all the filters (tags ANDed; at least one filter)."""
        ...

    def describe_instances(self, region: str, instance_ids: Sequence[str]) -> list[Instance]:
        """The instances that exist among `instance_ids`."""
        ...

    def detach_network_interface(self, region: str, eni_id: str, instance_id: str) -> str:
        """Send one Detach; returns ECS's RequestId."""
        ...
