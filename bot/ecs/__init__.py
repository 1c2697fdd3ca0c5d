"""Alibaba Cloud ECS client: V3-signed RPC calls, typed models and an error catalogue.

Names are re-exported lazily, so `import bot.ecs.signer` (the simulator's stdlib-only need)
does not pull in httpx and pydantic. Importing creates nothing: build an `EcsClient` in the
composition root.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.ecs.catalogue import CATALOGUE, CatalogueEntry, Category, Reaction, lookup
    from bot.ecs.client import API_VERSION, MAX_IDS_PER_CALL, EcsCallObserver, EcsClient
    from bot.ecs.credentials import (
        Credential,
        CredentialsError,
        CredentialsProvider,
        DefaultChainCredentials,
        EnvCredentials,
        StaticCredentials,
    )
    from bot.ecs.errors import EcsError, EcsTransportError, OutcomeUnknownError
    from bot.ecs.models import EniStatus, EniType, Instance, InstanceStatus, NetworkInterface
    from bot.ecs.retry import RetryPolicy

_HOMES: dict[str, str] = {
    "API_VERSION": "client",
    "CATALOGUE": "catalogue",
    "MAX_IDS_PER_CALL": "client",
    "CatalogueEntry": "catalogue",
    "Category": "catalogue",
    "Credential": "credentials",
    "CredentialsError": "credentials",
    "CredentialsProvider": "credentials",
    "DefaultChainCredentials": "credentials",
    "OutcomeUnknownError": "errors",
    "EcsCallObserver": "client",
    "EcsClient": "client",
    "EcsError": "errors",
    "EcsTransportError": "errors",
    "EniStatus": "models",
    "EniType": "models",
    "EnvCredentials": "credentials",
    "Instance": "models",
    "InstanceStatus": "models",
    "NetworkInterface": "models",
    "Reaction": "catalogue",
    "RetryPolicy": "retry",
    "StaticCredentials": "credentials",
    "lookup": "catalogue",
}

__all__ = [
    "API_VERSION",
    "CATALOGUE",
    "MAX_IDS_PER_CALL",
    "CatalogueEntry",
    "Category",
    "Credential",
    "CredentialsError",
    "CredentialsProvider",
    "DefaultChainCredentials",
    "EcsCallObserver",
    "EcsClient",
    "EcsError",
    "EcsTransportError",
    "EniStatus",
    "EniType",
    "EnvCredentials",
    "Instance",
    "InstanceStatus",
    "NetworkInterface",
    "OutcomeUnknownError",
    "Reaction",
    "RetryPolicy",
    "StaticCredentials",
    "lookup",
]


def __getattr__(name: str) -> Any:
    """Import the submodule that holds `name` on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'bot.ecs' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"bot.ecs.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
