"""An ECS simulator speaking the real RPC wire protocol (see README.md beside this file).

Public surface: EcsSimulator (the server), World and load_world/demo_world (what it serves),
FaultSpec (what can go wrong), serve (the `eni-bot ecs-sim` entry point).
"""

from bot.sim.ecs.codes import SEED_CODES
from bot.sim.ecs.counters import CallCounters
from bot.sim.ecs.faults import FaultKind, Faults, FaultSpec
from bot.sim.ecs.fixture import FixtureError, demo_world, load_world, parse_world
from bot.sim.ecs.serve import serve
from bot.sim.ecs.server import DEFAULT_KEYS, EcsSimulator
from bot.sim.ecs.world import (
    AccessKey,
    AccountState,
    EniStatus,
    EniType,
    InstanceStatus,
    World,
)

__all__ = [
    "DEFAULT_KEYS",
    "SEED_CODES",
    "AccessKey",
    "AccountState",
    "CallCounters",
    "EcsSimulator",
    "EniStatus",
    "EniType",
    "FaultKind",
    "FaultSpec",
    "Faults",
    "FixtureError",
    "InstanceStatus",
    "World",
    "demo_world",
    "load_world",
    "parse_world",
    "serve",
]
