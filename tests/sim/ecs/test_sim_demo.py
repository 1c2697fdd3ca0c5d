"""The demo world as the console and `eni-bot ecs-sim` serve it, driven through the real client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.ecs.client import EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.errors import EcsError
from bot.sim.ecs import DEFAULT_KEYS, EcsSimulator, demo_world

from support.clock import Clock

HZ = "cn-hangzhou"
WEB1 = "i-bp1a3f9k2m7x4q8w6e"


@pytest.fixture
def demo(clock: Clock) -> Iterator[tuple[EcsSimulator, EcsClient]]:
    ((key_id, secret),) = DEFAULT_KEYS.items()
    sim = EcsSimulator(demo_world(clock=clock.monotonic))  # the default key pair
    with sim, EcsClient(credentials=StaticCredentials(key_id, secret), endpoint=sim.url) as client:
        yield sim, client


def test_secondary_detaches_and_becomes_available(
    demo: tuple[EcsSimulator, EcsClient], clock: Clock
) -> None:
    _, client = demo
    client.detach_network_interface(HZ, "eni-bp1d7r2k9m4x6c3v5n", WEB1)
    (eni,) = client.describe_network_interfaces(HZ, ["eni-bp1d7r2k9m4x6c3v5n"])
    assert eni.status == "Detaching" and eni.instance_id == WEB1
    clock.advance(2)
    (eni,) = client.describe_network_interfaces(HZ, ["eni-bp1d7r2k9m4x6c3v5n"])
    assert eni.status == "Available" and eni.instance_id is None
    assert eni.name == "web-1-app" and eni.tags == {"team": "web", "env": "prod"}


def test_the_legacy_eni_sticks_until_re_detached_once(
    demo: tuple[EcsSimulator, EcsClient], clock: Clock
) -> None:
    sim, client = demo
    eni_id = "eni-bp1s4t8u2c6k9d3e5f"
    client.detach_network_interface(HZ, eni_id, WEB1)
    clock.advance(300)
    assert client.describe_network_interfaces(HZ, [eni_id])[0].status == "Detaching"
    client.detach_network_interface(HZ, eni_id, WEB1)
    clock.advance(2)
    assert client.describe_network_interfaces(HZ, [eni_id])[0].status == "Available"
    assert sim.calls.accepted_detaches(eni_id) == 2


@pytest.mark.parametrize(
    ("eni", "instance", "code"),
    [
        ("eni-bp1p8r1m9a2y3x4c5v", WEB1, "InvalidOperation.DetachPrimaryEniNotAllowed"),
        ("eni-bp1n5m6s7v8c9x2z3a", WEB1, "InvalidOperation.EniServiceManaged"),
        (
            "eni-bp1t9r3u5n7k2a4b6c",
            "i-bp1h6t2w9n3k5m8r4s7d",
            "InvalidOperation.HasMemberEniAttached",
        ),
        ("eni-bp1l9k8e7d6s5a4q3w", "i-bp1h6t2w9n3k5m8r4s7d", "InvalidOperation.EniLinked"),
        ("eni-bp1w6e2r8t4y1u7i3o", "i-bp1g3x8c5v2b7n4m9q6w", "InvalidOperation.InvalidEcsState"),
        ("eni-bp1h4j8k2l6z9x3c7v", "i-bp1c7v3b9n2m6x4z8a5s", "InvalidOperation.HotPlugNotSupport"),
        ("eni-uf6a8s2d4f6g9h1j3k", "i-uf6f8b2k4n7x9c3v5m1q", "InvalidInstanceId.NotFound"),
        ("eni-uf6a8s2d4f6g9h1j3k", WEB1, "InvalidEniId.NotFound"),
    ],
)
def test_demo_refusals(
    demo: tuple[EcsSimulator, EcsClient], eni: str, instance: str, code: str
) -> None:
    _, client = demo
    with pytest.raises(EcsError) as caught:
        client.detach_network_interface(HZ, eni, instance)
    assert caught.value.code == code


def test_stopped_instance_secondary_detaches_and_shanghai_works(
    demo: tuple[EcsSimulator, EcsClient],
) -> None:
    _, client = demo
    assert client.detach_network_interface(HZ, "eni-bp1k2j3h4g5f6d7s8a", "i-bp1s5t4o3p2d1x9y8z7w")
    sh = "cn-shanghai"
    assert client.detach_network_interface(sh, "eni-uf6a8s2d4f6g9h1j3k", "i-uf6f8b2k4n7x9c3v5m1q")
    (instance,) = client.describe_instances(sh, ["i-uf6f8b2k4n7x9c3v5m1q"])
    assert instance.status == "Running"
