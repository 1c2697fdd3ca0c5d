"""`serve()` as `eni-bot ecs-sim` runs it: one line with the URL, answers, stops on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sim_helpers import SMALL_WORLD

from bot.sim.ecs import FixtureError, serve

SCRIPT = (
    "import sys; from bot.sim.ecs import serve; "
    "serve('127.0.0.1', 0, sys.argv[1] or None, {'k': 's'})"
)


def _run(fixture: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, fixture],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )


@pytest.mark.parametrize("fixture", ["", "small"])
def test_serve_prints_the_url_answers_and_stops_on_sigterm(tmp_path: Path, fixture: str) -> None:
    path = ""
    if fixture:
        import json

        world = tmp_path / "world.json"
        world.write_text(json.dumps(SMALL_WORLD))
        path = str(world)
    process = _run(path)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("ECS simulator on http://127.0.0.1:")
        assert "s'" not in line and "secret" not in line  # never the secret
        url = line.split()[3]
        world_data = httpx.get(f"{url}/_sim/world", timeout=5).json()
        expected = "i-run000001" if fixture else "i-bp1a3f9k2m7x4q8w6e"
        assert expected in {i["id"] for i in world_data["instances"]}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_with_a_bad_fixture_raises_before_binding(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("regions: []\n")
    with pytest.raises(FixtureError, match="regions"):
        serve("127.0.0.1", 0, str(bad), {"k": "s"})
