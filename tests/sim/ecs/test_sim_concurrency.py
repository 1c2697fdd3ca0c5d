"""Many clients at once: the world stays consistent and every call is counted once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sim_helpers import KEY_ID, SECRET

from bot.ecs.client import EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.errors import EcsError
from bot.sim.ecs import EcsSimulator
from bot.sim.ecs.fixture import build_world, parse_world

REGION, INSTANCE = "cn-hangzhou", "i-busy00001"
ENI_COUNT, THREADS, DETACHES_PER_ENI = 40, 16, 3


def test_concurrent_detaches_and_describes_are_consistent() -> None:
    world = build_world(parse_world({
        "detach_delay": 3600,
        "regions": [{"id": REGION}],
        "instances": [{"id": INSTANCE, "region": REGION}],
        "network_interfaces": [
            {"id": f"eni-busy{n:05d}", "region": REGION, "status": "InUse", "instance_id": INSTANCE}
            for n in range(ENI_COUNT)
        ],
    }))  # fmt: skip
    eni_ids = [f"eni-busy{n:05d}" for n in range(ENI_COUNT)]
    with EcsSimulator(world, keys={KEY_ID: SECRET}) as sim:
        client = EcsClient(credentials=StaticCredentials(KEY_ID, SECRET), endpoint=sim.url)

        def detach(eni_id: str) -> str:
            try:
                return client.detach_network_interface(REGION, eni_id, INSTANCE) and "OK"
            except EcsError as exc:
                return exc.code

        def describe(_n: int) -> int:
            return len(client.describe_network_interfaces(REGION, eni_ids))

        with ThreadPoolExecutor(THREADS) as pool:
            detach_jobs = [pool.submit(detach, e) for e in eni_ids * DETACHES_PER_ENI]
            describe_jobs = [pool.submit(describe, n) for n in range(60)]
            outcomes = [j.result() for j in detach_jobs]
            sizes = [j.result() for j in describe_jobs]
        client.close()

        assert set(outcomes) == {"OK"}  # re-detaching a Detaching ENI is accepted
        assert sizes == [ENI_COUNT] * 60
        assert sim.calls.total("DetachNetworkInterface") == ENI_COUNT * DETACHES_PER_ENI
        assert sim.calls.count("DetachNetworkInterface", "OK") == ENI_COUNT * DETACHES_PER_ENI
        assert sim.calls.total("DescribeNetworkInterfaces") == 60
        assert all(sim.calls.accepted_detaches(e) == DETACHES_PER_ENI for e in eni_ids)
        statuses = {e.status for e in world.network_interfaces(REGION)}
        assert statuses == {"Detaching"}
