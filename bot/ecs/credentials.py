"""Where the ECS client gets its access key, asked afresh for every request.

Asking per request lets rotated STS tokens (RAM role on ECS, OIDC/RRSA) take effect without a
restart. A `Credential` never shows its secret or token in a repr, str or exception.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from bot.ecs.errors import EcsError

__all__ = [
    "ENV_ACCESS_KEY_ID",
    "ENV_ACCESS_KEY_SECRET",
    "ENV_SECURITY_TOKEN",
    "Credential",
    "CredentialsError",
    "CredentialsProvider",
    "DefaultChainCredentials",
    "EnvCredentials",
    "StaticCredentials",
]

ENV_ACCESS_KEY_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ENV_ACCESS_KEY_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"  # noqa: S105 - a variable name
ENV_SECURITY_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"  # noqa: S105 - a variable name


class CredentialsError(EcsError):
    """No usable credential: the message names what is missing, never a secret."""

    def __init__(self, message: str, *, code: str = "Credentials.Missing") -> None:
        super().__init__(code, message)


@dataclass(frozen=True)
class Credential:
    """One access key (plus STS token when temporary); secret and token never printed."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        token = ", security_token=<set>" if self.security_token else ""
        return (
            f"Credential(access_key_id={self.access_key_id!r}, access_key_secret=<hidden>{token})"
        )

    __str__ = __repr__

    def secrets(self) -> tuple[str, ...]:
        """The values that must never leave the process except inside a signature."""
        return tuple(s for s in (self.access_key_secret, self.security_token) if s)


@runtime_checkable
class CredentialsProvider(Protocol):
    """Gives the credential to sign the next request with; called once per request."""

    def get(self) -> Credential:
        """Return the credential to use now."""
        ...


class StaticCredentials:
    """A fixed key pair (tests, the simulator, the console sandbox)."""

    def __init__(
        self, access_key_id: str, access_key_secret: str, security_token: str | None = None
    ) -> None:
        if not access_key_id or not access_key_secret:
            raise CredentialsError("access key ID and secret must both be non-empty")
        self._credential = Credential(access_key_id, access_key_secret, security_token or None)

    def get(self) -> Credential:
        """Return the same credential every time."""
        return self._credential

    def __repr__(self) -> str:
        return f"StaticCredentials({self._credential!r})"


class EnvCredentials:
    """The standard ALIBABA_CLOUD_* variables, read on every call so changes are picked up."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        # None means os.environ at call time (not a copy taken now).
        self._environ = environ

    def get(self) -> Credential:
        """Read the variables now; a missing one is named in the error."""
        env = os.environ if self._environ is None else self._environ
        key_id = env.get(ENV_ACCESS_KEY_ID, "").strip()
        secret = env.get(ENV_ACCESS_KEY_SECRET, "").strip()
        missing = [
            name
            for name, value in ((ENV_ACCESS_KEY_ID, key_id), (ENV_ACCESS_KEY_SECRET, secret))
            if not value
        ]
        if missing:
            raise CredentialsError(f"environment variable {' and '.join(missing)} is not set")
        token = env.get(ENV_SECURITY_TOKEN, "").strip() or None
        return Credential(key_id, secret, token)

    def __repr__(self) -> str:
        return "EnvCredentials()"


_INSTALL_HINT = (
    "the default credential chain needs the optional package alibabacloud-credentials: "
    "install the 'aliyun' extra (pip install 'eni-detach-bot[aliyun]')"
)


class DefaultChainCredentials:
    """Alibaba's official default chain (env, OIDC/RRSA, profiles, ECS RAM role), opt-in."""

    def __init__(self, client: Any | None = None) -> None:
        if client is None:
            client = _new_chain_client()
        self._client = client

    def get(self) -> Credential:
        """Ask the chain now; it caches and refreshes temporary tokens itself."""
        try:
            model = self._client.get_credential()
        except Exception as exc:
            # The chain's own errors may quote files or URLs but not secrets; keep only the type.
            raise CredentialsError(
                f"the default credential chain found no credential ({type(exc).__name__})",
                code="Credentials.Unavailable",
            ) from None
        key_id = getattr(model, "access_key_id", None) or ""
        secret = getattr(model, "access_key_secret", None) or ""
        if not key_id or not secret:
            raise CredentialsError(
                "the default credential chain returned an empty access key",
                code="Credentials.Unavailable",
            )
        return Credential(key_id, secret, getattr(model, "security_token", None) or None)

    def __repr__(self) -> str:
        return "DefaultChainCredentials()"


def _new_chain_client() -> Any:
    """Import the optional package only when the chain is really wanted."""
    try:
        from alibabacloud_credentials.client import Client
    except ImportError:
        raise CredentialsError(_INSTALL_HINT, code="Credentials.NotInstalled") from None
    return Client()
