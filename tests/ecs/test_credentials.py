"""Credentials are read per request and never show their secret or token."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass

import pytest

from bot.ecs.credentials import (
    Credential,
    CredentialsError,
    CredentialsProvider,
    DefaultChainCredentials,
    EnvCredentials,
    StaticCredentials,
)
from bot.ecs.errors import EcsError, Reaction

SECRET = "very-secret-value-123"
TOKEN = "CAIS+sts/token=="


def test_credential_repr_and_str_hide_secret_and_token() -> None:
    credential = Credential("AKID", SECRET, TOKEN)
    for text in (repr(credential), str(credential), f"{credential}", repr([credential])):
        assert "AKID" in text
        assert SECRET not in text
        assert TOKEN not in text
    assert credential.secrets() == (SECRET, TOKEN)


def test_static_credentials_return_the_pair() -> None:
    provider = StaticCredentials("AKID", SECRET)
    assert isinstance(provider, CredentialsProvider)
    assert provider.get() == Credential("AKID", SECRET, None)
    assert SECRET not in repr(provider)


def test_static_credentials_refuse_empty_values() -> None:
    with pytest.raises(CredentialsError):
        StaticCredentials("", SECRET)


def test_env_credentials_read_on_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "AK1")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "S1")
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    provider = EnvCredentials()
    assert provider.get() == Credential("AK1", "S1", None)
    # A rotated STS token set after the provider was built is picked up by the next call.
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "AK2")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "S2")
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)
    assert provider.get() == Credential("AK2", "S2", TOKEN)


def test_env_credentials_name_the_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "AK1")
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", raising=False)
    with pytest.raises(CredentialsError, match="ALIBABA_CLOUD_ACCESS_KEY_SECRET") as info:
        EnvCredentials().get()
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID " not in str(info.value)
    assert isinstance(info.value, EcsError)
    assert info.value.code == "Credentials.Missing"
    assert info.value.reaction is Reaction.FAIL


def test_env_credentials_from_explicit_mapping() -> None:
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "A", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "B"}
    assert EnvCredentials(env).get() == Credential("A", "B")
    with pytest.raises(CredentialsError, match="ALIBABA_CLOUD_ACCESS_KEY_ID and"):
        EnvCredentials({}).get()


def test_default_chain_without_package_says_install_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A None entry makes `import` fail as for a missing package, installed here or not (the
    # official SDK, a dev dependency for the simulator's SDK test, pulls the package in).
    monkeypatch.setitem(sys.modules, "alibabacloud_credentials", None)
    monkeypatch.setitem(sys.modules, "alibabacloud_credentials.client", None)
    with pytest.raises(CredentialsError, match=r"'aliyun' extra") as info:
        DefaultChainCredentials()
    assert info.value.code == "Credentials.NotInstalled"


@dataclass
class _Model:
    access_key_id: str | None
    access_key_secret: str | None
    security_token: str | None


class _Chain:
    """Stand-in for alibabacloud_credentials.client.Client: rotates its token per call."""

    def __init__(self) -> None:
        self.calls = 0

    def get_credential(self) -> _Model:
        self.calls += 1
        return _Model("STS.ID", SECRET, f"token-{self.calls}")


def test_default_chain_is_asked_per_request() -> None:
    chain = _Chain()
    provider = DefaultChainCredentials(client=chain)
    assert provider.get().security_token == "token-1"
    assert provider.get().security_token == "token-2"


def test_default_chain_uses_the_package_client_when_importable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The optional package is not installed in the dev venv; a module object with the same
    # import path checks that the adapter imports it lazily and calls Client().
    package = types.ModuleType("alibabacloud_credentials")
    client_module = types.ModuleType("alibabacloud_credentials.client")
    client_module.Client = _Chain  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "alibabacloud_credentials", package)
    monkeypatch.setitem(sys.modules, "alibabacloud_credentials.client", client_module)
    assert DefaultChainCredentials().get() == Credential("STS.ID", SECRET, "token-1")


def test_default_chain_failure_hides_details() -> None:
    class Broken:
        def get_credential(self) -> _Model:
            raise RuntimeError(f"cannot read {SECRET}")

    with pytest.raises(CredentialsError) as info:
        DefaultChainCredentials(client=Broken()).get()
    assert SECRET not in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.code == "Credentials.Unavailable"


def test_default_chain_rejects_empty_key() -> None:
    class Empty:
        def get_credential(self) -> _Model:
            return _Model(None, None, None)

    with pytest.raises(CredentialsError, match="empty"):
        DefaultChainCredentials(client=Empty()).get()
