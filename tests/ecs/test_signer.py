"""The signer reproduces every published and SDK-computed vector byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.ecs.signer import (
    EMPTY_PAYLOAD_SHA256,
    canonical_query,
    parse_v3_authorization,
    percent_encode,
    sign_v1,
    sign_v3,
)

DATA = Path(__file__).resolve().parent / "data"
REPO_VECTORS = DATA / "sign_vectors.json"
# In CI the repository is cloned beside the team's shared folder (../shared from the repo root).
SHARED_VECTORS = Path(__file__).resolve().parents[2].parent / "shared/ecs/sign_vectors.json"

VECTORS: list[dict[str, Any]] = json.loads(REPO_VECTORS.read_text(encoding="utf-8"))
V3 = [v for v in VECTORS if v["algorithm"].startswith("ACS3")]
V1 = [v for v in VECTORS if v["algorithm"].startswith("HMAC-SHA1")]


def test_vector_file_holds_all_fifteen_vectors() -> None:
    assert len(VECTORS) == 15
    assert len(V3) + len(V1) == 15
    assert len(V3) == 7


@pytest.mark.skipif(not SHARED_VECTORS.exists(), reason="../shared is not beside this clone")
def test_repo_copy_equals_shared_vectors() -> None:
    assert REPO_VECTORS.read_bytes() == SHARED_VECTORS.read_bytes()


@pytest.mark.parametrize("vector", V3, ids=[v["name"] for v in V3])
def test_v3_vector_reproduced(vector: dict[str, Any]) -> None:
    inputs = vector["inputs"]
    result = sign_v3(
        method=vector["method"],
        path=vector["path"],
        query=inputs["query"],
        headers=inputs["headers"],
        body=inputs["body"].encode("utf-8"),
        access_key_id=inputs["access_key_id"],
        access_key_secret=inputs["access_key_secret"],
    )
    assert result.canonical_request == vector["canonical_request"]
    assert result.string_to_sign == vector["string_to_sign"]
    assert result.signature == vector["signature"]
    assert result.authorization == vector["authorization"]
    assert result.canonical_request.endswith(vector["hashed_payload"])


@pytest.mark.parametrize("vector", V1, ids=[v["name"] for v in V1])
def test_v1_vector_reproduced(vector: dict[str, Any]) -> None:
    inputs = vector["inputs"]
    result = sign_v1(
        method=vector["method"],
        params=inputs["params"],
        access_key_secret=inputs["access_key_secret"],
    )
    assert result.string_to_sign == vector["string_to_sign"]
    assert result.signature == vector["signature"]
    if "canonicalized_query_string" in vector:
        assert canonical_query(inputs["params"]) == vector["canonicalized_query_string"]


def test_sdk_capture_wire_query_equals_signed_query() -> None:
    vector = next(v for v in V3 if v["name"] == "v3-sdk-end-to-end-capture")
    query = canonical_query(vector["inputs"]["query"])
    assert vector["wire_url"].endswith("/?" + query)


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        ("a b", "a%20b"),
        ("*", "%2A"),
        ("~", "~"),
        ("+", "%2B"),
        ("/", "%2F"),
        (":", "%3A"),
        ("=", "%3D"),
        ("é", "%C3%A9"),
        ("AZaz09-_.", "AZaz09-_."),
    ],
)
def test_percent_encode_follows_rfc3986(raw: str, encoded: str) -> None:
    assert percent_encode(raw) == encoded


def test_canonical_query_sorts_uppercase_before_lowercase() -> None:
    assert canonical_query({"b": "1", "B": "2", "a": "x y"}) == "B=2&a=x%20y&b=1"


def test_empty_payload_hash_matches_notes() -> None:
    assert EMPTY_PAYLOAD_SHA256 == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_parse_v3_authorization_round_trips_vectors() -> None:
    for vector in V3:
        key_id, names, signature = parse_v3_authorization(vector["authorization"])
        assert key_id == vector["inputs"]["access_key_id"]
        assert names == sorted(h.lower() for h in vector["inputs"]["headers"])
        assert signature == vector["signature"]


@pytest.mark.parametrize(
    "header",
    [
        "",
        "ACS3-HMAC-SHA1 Credential=a,SignedHeaders=host,Signature=x",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=x,Extra=y",
        "ACS3-HMAC-SHA256 Credential=a,Credential=b,SignedHeaders=host,Signature=x",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=Host,Signature=x",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;;date,Signature=x",
        "ACS3-HMAC-SHA256 garbage",
    ],
)
def test_parse_v3_authorization_rejects_malformed(header: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        parse_v3_authorization(header)


def test_signature_changes_with_any_signed_input() -> None:
    base: dict[str, Any] = {
        "method": "POST",
        "path": "/",
        "query": {"RegionId": "cn-hangzhou"},
        "headers": {"host": "ecs.cn-hangzhou.aliyuncs.com", "x-acs-action": "X"},
        "body": b"",
        "access_key_id": "id",
        "access_key_secret": "secret",
    }
    reference = sign_v3(**base).signature
    variants: list[dict[str, Any]] = [
        {"method": "GET"},
        {"query": {"RegionId": "cn-shanghai"}},
        {"headers": {"host": "ecs.cn-shanghai.aliyuncs.com", "x-acs-action": "X"}},
        {"body": b"x"},
        {"access_key_secret": "other"},
    ]
    for change in variants:
        assert sign_v3(**{**base, **change}).signature != reference
