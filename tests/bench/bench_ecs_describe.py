"""Benchmark: Describe calls the ECS client spends on N ENIs, counted by the simulator.

For 1, 100, 1,000 and 10,000 ENIs in one region, the real client describes them all against
the real simulator (HTTP on loopback, V3 signatures verified) and the simulator's counters say
how many DescribeNetworkInterfaces calls arrived. Expected: ⌈N/100⌉. Also prints the wall time
per ENI and per call, and the same for DescribeInstances.

Usage: .venv/bin/python tests/bench/bench_ecs_describe.py
"""

from __future__ import annotations

import math
import time

from bot.ecs.client import EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.sim.ecs import EcsSimulator
from bot.sim.ecs.fixture import build_world, parse_world

REGION = "cn-hangzhou"
KEY_ID, SECRET = "bench-key", "bench-secret"
SIZES = (1, 100, 1_000, 10_000)


def world_with(count: int) -> object:
    """One region, `count` instances each with one InUse secondary ENI."""
    return build_world(
        parse_world(
            {
                "regions": [{"id": REGION}],
                "instances": [{"id": f"i-bench{n:07d}", "region": REGION} for n in range(count)],
                "network_interfaces": [
                    {
                        "id": f"eni-bench{n:07d}",
                        "region": REGION,
                        "status": "InUse",
                        "instance_id": f"i-bench{n:07d}",
                        "private_ip": f"10.{n // 65536}.{n // 256 % 256}.{n % 256}",
                    }
                    for n in range(count)
                ],
            }
        )
    )


def main() -> int:
    print("ECS Describe calls per N ENIs (real client → real simulator on loopback, V3-signed)")
    header = (
        f"{'N':>7} {'ENI calls':>9} {'expected':>8} {'ok':>3} {'ms/ENI':>8} {'ms/call':>8}"
        f" {'inst calls':>10} {'ms/inst':>8}"
    )
    print(header)
    failures = 0
    for size in SIZES:
        world = world_with(size)
        eni_ids = [f"eni-bench{n:07d}" for n in range(size)]
        instance_ids = [f"i-bench{n:07d}" for n in range(size)]
        with (
            EcsSimulator(world, keys={KEY_ID: SECRET}) as sim,  # type: ignore[arg-type]
            EcsClient(credentials=StaticCredentials(KEY_ID, SECRET), endpoint=sim.url) as client,
        ):
            client.describe_instances(REGION, instance_ids[:1])  # warm the connection
            sim.reset_counters()
            start = time.perf_counter()
            enis = client.describe_network_interfaces(REGION, eni_ids)
            eni_seconds = time.perf_counter() - start
            start = time.perf_counter()
            instances = client.describe_instances(REGION, instance_ids)
            inst_seconds = time.perf_counter() - start
            eni_calls = sim.calls.total("DescribeNetworkInterfaces")
            inst_calls = sim.calls.total("DescribeInstances")
        expected = math.ceil(size / 100)
        ok = eni_calls == expected and inst_calls == expected
        ok = ok and len(enis) == size and len(instances) == size
        failures += not ok
        print(
            f"{size:>7} {eni_calls:>9} {expected:>8} {'yes' if ok else 'NO':>3}"
            f" {eni_seconds / size * 1e3:>8.3f} {eni_seconds / eni_calls * 1e3:>8.2f}"
            f" {inst_calls:>10} {inst_seconds / size * 1e3:>8.3f}"
        )
    print("ok = calls equal ⌈N/100⌉ for both operations and every ID came back")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
