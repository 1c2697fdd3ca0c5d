"""Helpers for the ECS simulator tests: a small world, a fake clock, a raw signed caller.

The raw caller builds requests byte by byte with bot.ecs.signer, so the simulator's gateway
checks (signature, clock, nonce, token) can be exercised with deliberately broken requests.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import httpx

from bot.ecs.signer import canonical_query, hashed_payload, sign_v1, sign_v3
from bot.sim.ecs import World
from bot.sim.ecs.fixture import build_world, parse_world

from support.clock import Clock

KEY_ID = "test-key"
SECRET = "test-secret"
API_VERSION = "2014-05-26"

# A compact world with one of everything the detach rules care about.
SMALL_WORLD: dict[str, Any] = {
    "detach_delay": 2.0,
    "regions": [
        {"id": "cn-hangzhou", "zones": ["cn-hangzhou-h"]},
        {"id": "cn-shanghai", "zones": ["cn-shanghai-l"]},
        {"id": "cn-beijing", "enabled": False},
    ],
    "instance_types": [{"name": "ecs.t5-small", "eni_hot_plug": False}],
    "access_keys": [
        {"id": "gone-account", "secret": "s1", "account": "not_found"},
        {"id": "odd-account", "secret": "s2", "account": "unsupported_user_type"},
        {
            "id": "ram-user",
            "secret": "s3",
            "denied_actions": {
                "DetachNetworkInterface": "Forbidden.SubUser",
                "DescribeInstances": "Forbidden.RAM",
                "DescribeNetworkInterfaces": "Forbidden.NotSupportRAM",
            },
        },
        {
            "id": "main-only",
            "secret": "s4",
            "denied_actions": {"DetachNetworkInterface": "Forbidden.NotSupportRAM"},
        },
        {"id": "sts-key", "secret": "sts-secret", "security_token": "CAIS+sts/token=="},
        {
            "id": "old-sts-key",
            "secret": "old-secret",
            "security_token": "old-token",
            "security_token_expired": True,
        },
    ],
    "instances": [
        {"id": "i-run000001", "region": "cn-hangzhou", "status": "Running", "name": "run"},
        {"id": "i-stop00001", "region": "cn-hangzhou", "status": "Stopped"},
        {"id": "i-start0001", "region": "cn-hangzhou", "status": "Starting"},
        {"id": "i-small0001", "region": "cn-hangzhou", "instance_type": "ecs.t5-small"},
        {"id": "i-sha000001", "region": "cn-shanghai"},
    ],
    "network_interfaces": [
        {
            "id": "eni-prim00001",
            "region": "cn-hangzhou",
            "type": "Primary",
            "status": "InUse",
            "instance_id": "i-run000001",
        },
        {
            "id": "eni-sec000001",
            "region": "cn-hangzhou",
            "status": "InUse",
            "instance_id": "i-run000001",
            "private_ip": "10.0.0.11",
            "name": "sec-1",
            "description": "first",
            "security_groups": ["sg-abc"],
            "tags": {"team": "net"},
            "vpc_id": "vpc-1",
            "vswitch_id": "vsw-1",
        },
        {
            "id": "eni-sec000002",
            "region": "cn-hangzhou",
            "status": "InUse",
            "instance_id": "i-run000001",
        },
        {
            "id": "eni-stuck0001",
            "region": "cn-hangzhou",
            "status": "InUse",
            "instance_id": "i-run000001",
            "stuck_detaches": 2,
        },
        {
            "id": "eni-svc000001",
            "region": "cn-hangzhou",
            "status": "InUse",
            "instance_id": "i-run000001",
            "service_managed": True,
            "service_id": "42",
        },
        {
            "id": "eni-link00001",
            "region": "cn-hangzhou",
            "status": "InUse",
            "instance_id": "i-run000001",
            "linked": True,
        },
        {
            "id": "eni-attach001",
            "region": "cn-hangzhou",
            "status": "Attaching",
            "instance_id": "i-run000001",
        },
        {"id": "eni-free00001", "region": "cn-hangzhou", "status": "Available"},
        {
            "id": "eni-trunk0001",
            "region": "cn-hangzhou",
            "type": "Trunk",
            "status": "InUse",
            "instance_id": "i-run000001",
        },
        {
            "id": "eni-memb00001",
            "region": "cn-hangzhou",
            "type": "Member",
            "status": "InUse",
            "instance_id": "i-run000001",
            "trunk_id": "eni-trunk0001",
        },
        {
            "id": "eni-trunk0002",
            "region": "cn-hangzhou",
            "type": "Trunk",
            "status": "Detaching",
            "instance_id": "i-run000001",
            "stuck_detaches": 5,
        },
        {
            "id": "eni-memb00002",
            "region": "cn-hangzhou",
            "type": "Member",
            "status": "InUse",
            "instance_id": "i-run000001",
            "trunk_id": "eni-trunk0002",
        },
        {
            "id": "eni-stop00001",
            "region": "cn-hangzhou",
            "status": "InUse",
            "instance_id": "i-stop00001",
        },
        {
            "id": "eni-start0001",
            "region": "cn-hangzhou",
            "status": "InUse",
            "instance_id": "i-start0001",
        },
        {
            "id": "eni-small0001",
            "region": "cn-hangzhou",
            "status": "InUse",
            "instance_id": "i-small0001",
        },
        {
            "id": "eni-sha000001",
            "region": "cn-shanghai",
            "status": "InUse",
            "instance_id": "i-sha000001",
        },
    ],
}


def small_world(clock: Clock | None = None, **overrides: Any) -> World:
    """SMALL_WORLD (with `overrides` of top-level keys) as a live World on `clock`'s time."""
    data = {**SMALL_WORLD, **overrides}
    fixture = parse_world(data)
    return build_world(fixture, clock=clock.monotonic) if clock else build_world(fixture)


@dataclass
class Answer:
    """A parsed simulator answer."""

    status: int
    headers: httpx.Headers
    text: str
    body: dict[str, Any]

    @property
    def code(self) -> str | None:
        return self.body.get("Code")


def _xml_to_dict(element: ElementTree.Element) -> Any:
    children = list(element)
    if not children:
        return element.text or ""
    out: dict[str, Any] = {}
    for child in children:
        value = _xml_to_dict(child)
        if child.tag in out:
            if not isinstance(out[child.tag], list):
                out[child.tag] = [out[child.tag]]
            out[child.tag].append(value)
        else:
            out[child.tag] = value
    return out


def timestamp(offset: timedelta = timedelta(0)) -> str:
    return (datetime.now(UTC) + offset).strftime("%Y-%m-%dT%H:%M:%SZ")


class RawCaller:
    """Sends hand-signed V3/V1 requests to the simulator, each part overridable."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(timeout=10)
        self.host = httpx.URL(base_url).netloc.decode()

    def close(self) -> None:
        self.http.close()

    def _answer(self, response: httpx.Response) -> Answer:
        text = response.text
        if response.headers.get("content-type", "").startswith("text/xml"):
            root = ElementTree.fromstring(text)  # noqa: S314 - our own simulator's output
            body = {"_root": root.tag, **_xml_to_dict(root)}
        else:
            body = json.loads(text)
        return Answer(response.status_code, response.headers, text, body)

    def v3(
        self,
        action: str,
        params: Mapping[str, str],
        *,
        key_id: str = KEY_ID,
        secret: str = SECRET,
        token: str | None = None,
        date: str | None = None,
        nonce: str | None = None,
        method: str = "POST",
        form: bool = False,
        body_sha: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        unsigned_headers: Mapping[str, str] | None = None,
    ) -> Answer:
        query = {} if form else dict(params)
        body = canonical_query(params).encode() if form else b""
        headers = {
            "host": self.host,
            "x-acs-action": action,
            "x-acs-version": API_VERSION,
            "x-acs-date": date or timestamp(),
            "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
            "x-acs-content-sha256": body_sha or hashed_payload(body),
            **(extra_headers or {}),
        }
        if form:
            headers["content-type"] = "application/x-www-form-urlencoded"
        if token is not None:
            headers["x-acs-security-token"] = token
        signature = sign_v3(
            method=method,
            path="/",
            query=query,
            headers=headers,
            body=body,
            access_key_id=key_id,
            access_key_secret=secret,
        )
        sent = {**headers, **(unsigned_headers or {}), "Authorization": signature.authorization}
        url = f"{self.base_url}/?{canonical_query(query)}" if query else f"{self.base_url}/"
        return self._answer(self.http.request(method, url, headers=sent, content=body))

    def v1(
        self,
        action: str,
        params: Mapping[str, str],
        *,
        key_id: str = KEY_ID,
        secret: str = SECRET,
        token: str | None = None,
        stamp: str | None = None,
        nonce: str | None = None,
        method: str = "GET",
        fmt: str | None = "JSON",
    ) -> Answer:
        signed = {
            "Action": action,
            "Version": API_VERSION,
            "AccessKeyId": key_id,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "Timestamp": stamp or timestamp(),
            **params,
        }
        if fmt is not None:
            signed["Format"] = fmt
        if token is not None:
            signed["SecurityToken"] = token
        signature = sign_v1(method=method, params=signed, access_key_secret=secret)
        all_params = {**signed, "Signature": signature.signature}
        if method == "GET":
            response = self.http.get(f"{self.base_url}/?{canonical_query(all_params)}")
        else:
            response = self.http.post(
                f"{self.base_url}/",
                content=canonical_query(all_params).encode(),
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
        return self._answer(response)


def detach_params(eni: str, instance: str, region: str = "cn-hangzhou") -> dict[str, str]:
    return {"RegionId": region, "NetworkInterfaceId": eni, "InstanceId": instance}
