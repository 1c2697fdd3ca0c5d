"""The ECS client: the operations the bot calls, their parameters, batching and paging.

    detach_network_interface / attach_network_interface   state-changing, sent at most once
                                                          (see EcsTransport.change)
    describe_network_interfaces / describe_instances      by ID, ⌈N/100⌉ calls plus pages
    find_network_interfaces                               by ECS's own filters (tags, instance,
                                                          type, status), every page

Signing, sending, retries and reading answers live in `bot.ecs.transport`; this module only
knows what each operation takes and returns.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

import httpx

from bot.ecs.credentials import CredentialsProvider
from bot.ecs.models import EniStatus, EniType, Instance, NetworkInterface
from bot.ecs.retry import RetryPolicy
from bot.ecs.transport import (
    API_VERSION,
    DEFAULT_USER_AGENT,
    MAX_TIMEOUT,
    EcsCallObserver,
    EcsTransport,
)

__all__ = [
    "API_VERSION",
    "ATTACH",
    "DEFAULT_USER_AGENT",
    "DESCRIBE_ENIS",
    "DESCRIBE_INSTANCES",
    "DETACH",
    "MAX_IDS_PER_CALL",
    "MAX_TAG_FILTERS",
    "MAX_TIMEOUT",
    "EcsCallObserver",
    "EcsClient",
]

MAX_IDS_PER_CALL = 100  # NetworkInterfaceId.N and InstanceIds both take at most 100 IDs
MAX_TAG_FILTERS = 20  # Tag.N: N is 1..20 (API_NOTES 4.2)
MIN_PAGE, MAX_PAGE = 10, 500  # MaxResults of DescribeNetworkInterfaces (API_NOTES 4.2)
DETACH = "DetachNetworkInterface"
ATTACH = "AttachNetworkInterface"
DESCRIBE_ENIS = "DescribeNetworkInterfaces"
DESCRIBE_INSTANCES = "DescribeInstances"


class EcsClient:
    """Detach, Attach, DescribeNetworkInterfaces and DescribeInstances against ECS."""

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
        self._rpc = EcsTransport(
            credentials=credentials,
            endpoint=endpoint,
            timeout=timeout,
            retry=retry,
            transport=transport,
            observer=observer,
            user_agent=user_agent,
        )

    # ---- lifecycle ----

    def close(self) -> None:
        """Close pooled connections."""
        self._rpc.close()

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
        return f"EcsClient({self._rpc.where})"

    # ---- state-changing operations ----

    def detach_network_interface(self, region: str, eni_id: str, instance_id: str) -> str:
        """Ask ECS to detach the ENI; returns ECS's RequestId (detaching is asynchronous)."""
        return self._rpc.change(DETACH, region, _eni_and_instance(region, eni_id, instance_id))

    def attach_network_interface(self, region: str, eni_id: str, instance_id: str) -> str:
        """Ask ECS to attach the ENI to the instance; returns ECS's RequestId (asynchronous).

        As for a detach, OutcomeUnknownError means it may have happened: `Attaching`, or
        `InUse` on that instance, in a later Describe says it did.
        """
        return self._rpc.change(ATTACH, region, _eni_and_instance(region, eni_id, instance_id))

    # ---- reads ----

    def describe_network_interfaces(
        self, region: str, eni_ids: Sequence[str]
    ) -> list[NetworkInterface]:
        """Describe any number of ENIs in ⌈N/100⌉ calls (plus pages); unknown IDs are absent."""
        result: list[NetworkInterface] = []
        for chunk in _chunks(_unique(eni_ids), MAX_IDS_PER_CALL):
            params = {"RegionId": region, "MaxResults": str(MAX_IDS_PER_CALL)}
            params.update({f"NetworkInterfaceId.{i}": eni for i, eni in enumerate(chunk, 1)})
            result.extend(self._enis(region, params))
        return result

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
        """Every ENI of the region matching all the filters, selected by ECS, every page read.

        `tags` are ANDed (`Tag.N.Key`/`Tag.N.Value`; a None value matches any value of the
        key); `instance_id` is ECS's `InstanceId` (ENIs attached to it), `eni_type` its `Type`
        (e.g. Secondary), `status` its `Status`. At least one filter is required: the bot never
        lists a region to filter it itself.
        """
        params = _filters(region, tags or {}, instance_id, eni_type, status)
        if not MIN_PAGE <= page_size <= MAX_PAGE:
            raise ValueError(f"page_size must be in [{MIN_PAGE}, {MAX_PAGE}]")
        params["MaxResults"] = str(page_size)
        found: dict[str, NetworkInterface] = {}
        for eni in self._enis(region, params):
            # A page boundary that moved under a write may repeat an ENI; keep its first sight.
            found.setdefault(eni.eni_id, eni)
        return list(found.values())

    def describe_instances(self, region: str, instance_ids: Sequence[str]) -> list[Instance]:
        """Describe instances, at most 100 IDs per call; unknown IDs are absent."""
        result: list[Instance] = []
        for chunk in _chunks(_unique(instance_ids), MAX_IDS_PER_CALL):
            params = {
                "RegionId": region,
                "InstanceIds": json.dumps(chunk, separators=(",", ":")),
                "PageSize": str(MAX_IDS_PER_CALL),
            }
            for page in self._rpc.pages(DESCRIBE_INSTANCES, region, params):
                for item in _wrapped(page, "Instances", "Instance"):
                    result.append(Instance.from_api(item, region_id=region))
        return result

    def _enis(self, region: str, params: Mapping[str, str]) -> Iterator[NetworkInterface]:
        for page in self._rpc.pages(DESCRIBE_ENIS, region, params):
            for item in _wrapped(page, "NetworkInterfaceSets", "NetworkInterfaceSet"):
                yield NetworkInterface.from_api(item, region_id=region)


def _eni_and_instance(region: str, eni_id: str, instance_id: str) -> dict[str, str]:
    """The parameters Detach and Attach share (both take exactly these three)."""
    return {"RegionId": region, "NetworkInterfaceId": eni_id, "InstanceId": instance_id}


def _filters(
    region: str,
    tags: Mapping[str, str | None],
    instance_id: str | None,
    eni_type: EniType | None,
    status: EniStatus | None,
) -> dict[str, str]:
    """DescribeNetworkInterfaces' own filter parameters; refuses a filter that selects nothing."""
    if isinstance(tags, str):
        raise TypeError("pass tags as a mapping of key to value")
    if len(tags) > MAX_TAG_FILTERS:
        raise ValueError(f"at most {MAX_TAG_FILTERS} tags per selection (ECS's Tag.N limit)")
    if not tags and not instance_id and eni_type is None and status is None:
        raise ValueError("give at least one filter: tags, instance_id, eni_type or status")
    if not all(key for key in tags):
        raise ValueError("a tag key must not be empty")
    if EniType.UNKNOWN in (eni_type, status) or EniStatus.UNKNOWN in (eni_type, status):
        raise ValueError("Unknown is not a value ECS filters on")
    params = {"RegionId": region}
    for n, (key, value) in enumerate(tags.items(), 1):
        params[f"Tag.{n}.Key"] = key
        if value is not None:
            params[f"Tag.{n}.Value"] = value
    if instance_id:
        params["InstanceId"] = instance_id
    if eni_type is not None:
        params["Type"] = eni_type.value
    if status is not None:
        params["Status"] = status.value
    return params


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
