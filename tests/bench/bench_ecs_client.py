"""Benchmark: what the ECS client adds per call (signing, retries plumbing, parsing).

Runs against the scripted loopback ECS from tests/ecs in this process and prints:
- per-call time of `detach_network_interface` versus a bare httpx POST to the same server,
  and the ratio (the client's overhead over the transport);
- signing alone (sign_v3) per call in microseconds;
- Describe calls used for 1, 100, 1,000 and 10,000 ENIs (expected ⌈N/100⌉).

Usage: .venv/bin/python tests/bench/bench_ecs_client.py [calls]
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: support.*
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ecs"))

from scripted_ecs import Reply, Seen, running

from bot.ecs.client import EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.signer import EMPTY_PAYLOAD_SHA256, sign_v3

KEY_ID, SECRET = "bench-key", "bench-secret"
REGION, ENI, INSTANCE = "cn-hangzhou", "eni-bp67acfmxazb4p1234", "i-bp67acfmxazb4p5678"


def per_call(seconds: float, calls: int) -> float:
    """Microseconds per call."""
    return seconds / calls * 1e6


def bench_signing(calls: int) -> float:
    headers = {
        "host": "ecs.cn-hangzhou.aliyuncs.com",
        "x-acs-action": "DetachNetworkInterface",
        "x-acs-version": "2014-05-26",
        "x-acs-date": "2026-01-01T00:00:00Z",
        "x-acs-signature-nonce": "d2b6f3c0-9a8e-4c71-b5e4-2f1a0c9d8e7b",
        "x-acs-content-sha256": EMPTY_PAYLOAD_SHA256,
    }
    query = {"RegionId": REGION, "NetworkInterfaceId": ENI, "InstanceId": INSTANCE}
    start = time.perf_counter()
    for _ in range(calls):
        sign_v3(
            method="POST", path="/", query=query, headers=headers, body=b"",
            access_key_id=KEY_ID, access_key_secret=SECRET,
        )  # fmt: skip
    return per_call(time.perf_counter() - start, calls)


def bench_transport(url: str, calls: int) -> tuple[float, float, float]:
    """(client, bare httpx, bare httpx with the same headers) µs/call, interleaved in rounds."""
    client = EcsClient(credentials=StaticCredentials(KEY_ID, SECRET), endpoint=url)
    bare = httpx.Client(timeout=10.0, trust_env=False)
    query = f"InstanceId={INSTANCE}&NetworkInterfaceId={ENI}&RegionId={REGION}"
    try:
        for _ in range(50):  # warm up both pools
            client.detach_network_interface(REGION, ENI, INSTANCE)
            bare.post(f"{url}/?{query}", content=b"").raise_for_status()
        signed = client._build(  # the headers of one real call, replayed as-is
            "DetachNetworkInterface",
            httpx.URL(url + "/"),
            {"RegionId": REGION, "NetworkInterfaceId": ENI, "InstanceId": INSTANCE},
            StaticCredentials(KEY_ID, SECRET).get(),
        )
        same_headers = {k: v for k, v in signed.headers.items() if k.startswith(("x-acs", "auth"))}
        client_total = bare_total = headers_total = 0.0
        rounds, size = 10, max(1, calls // 10)
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(size):
                client.detach_network_interface(REGION, ENI, INSTANCE)
            client_total += time.perf_counter() - start
            start = time.perf_counter()
            for _ in range(size):
                bare.post(f"{url}/?{query}", content=b"").raise_for_status()
            bare_total += time.perf_counter() - start
            start = time.perf_counter()
            for _ in range(size):
                bare.post(f"{url}/?{query}", content=b"", headers=same_headers).raise_for_status()
            headers_total += time.perf_counter() - start
        done = rounds * size
        return (
            per_call(client_total, done),
            per_call(bare_total, done),
            per_call(headers_total, done),
        )
    finally:
        client.close()
        bare.close()


def echo_enis(seen: Seen) -> Reply:
    ids = [v for k, v in seen.params.items() if k.startswith("NetworkInterfaceId.")]
    items = [{"NetworkInterfaceId": i, "Status": "Detaching", "Type": "Secondary"} for i in ids]
    return Reply(body={"RequestId": "R", "NetworkInterfaceSets": {"NetworkInterfaceSet": items}})


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    sign_us = bench_signing(calls * 10)
    with running(SECRET, verify=False) as ecs:
        client_us, bare_us, headers_us = bench_transport(ecs.url, calls)
        ecs.responder = echo_enis
        describe_calls: list[tuple[int, int, int]] = []
        with EcsClient(credentials=StaticCredentials(KEY_ID, SECRET), endpoint=ecs.url) as c:
            for n in (1, 100, 1_000, 10_000):
                before = len(ecs.seen)
                enis = c.describe_network_interfaces(REGION, [f"eni-{i:06d}" for i in range(n)])
                assert len(enis) == n
                describe_calls.append((n, len(ecs.seen) - before, math.ceil(n / 100)))
    print(f"ECS client benchmark ({calls} calls per side, loopback, same process)")
    print(f"  sign_v3 alone:                 {sign_us:8.1f} µs/call")
    print(f"  bare httpx POST:               {bare_us:8.1f} µs/call")
    print(f"  bare httpx POST, same headers: {headers_us:8.1f} µs/call")
    print(f"  EcsClient.detach (sign+send):  {client_us:8.1f} µs/call")
    print(f"  client overhead vs bare:       {client_us - bare_us:8.1f} µs/call")
    print(f"  client overhead vs same hdrs:  {client_us - headers_us:8.1f} µs/call")
    print(f"  ratio client / bare:           {client_us / bare_us:8.2f}x")
    print("  Describe calls for N ENIs (expected ⌈N/100⌉):")
    for n, used, expected in describe_calls:
        mark = "ok" if used == expected else "MISMATCH"
        print(f"    N={n:>6}: {used:>4} calls (expected {expected}) {mark}")


if __name__ == "__main__":
    main()
