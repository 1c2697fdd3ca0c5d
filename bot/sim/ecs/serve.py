"""`eni-bot ecs-sim`: run the simulator in the foreground until SIGINT or SIGTERM."""

from __future__ import annotations

import signal
import threading
from collections.abc import Mapping
from types import FrameType

from bot.sim.ecs.fixture import demo_world, load_world
from bot.sim.ecs.server import EcsSimulator

__all__ = ["serve"]


def serve(host: str, port: int, fixture: str | None, keys: Mapping[str, str]) -> None:
    """Serve `fixture` (default: the demo world) on host:port, print the URL, block until signalled.

    Raises FixtureError for a bad fixture and OSError when the address cannot be bound.
    """
    world = load_world(fixture) if fixture else demo_world()
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    simulator = EcsSimulator(world, host=host, port=port, keys=keys)
    try:
        simulator.start()
        key_ids = ", ".join(sorted(keys)) or "-"
        print(
            f"ECS simulator on {simulator.url} (world: {fixture or 'demo'}; keys: {key_ids}; "
            f"control API: {simulator.url}/_sim/world)",
            flush=True,
        )
        # wait() with a timeout keeps the main thread responsive to signals on every platform.
        while not stopping.wait(0.5):
            pass
    finally:
        simulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
