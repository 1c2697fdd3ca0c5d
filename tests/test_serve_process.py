"""`eni-bot serve` as operators run it: a real process, signed Slack traffic, SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bot.sim.ecs import EcsSimulator, demo_world
from bot.sim.slack import SlackSender, SlackWebApiStandIn

SECRET = "serve-test-signing-secret"
ENI = "eni-bp1d7r2k9m4x6c3v5n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - loopback only
        return str(answer.read().decode())


def test_serve_detaches_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with SlackWebApiStandIn() as slack, EcsSimulator(demo_world()) as sim:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-sim-bot-token",
            "SLACK_SIGNING_SECRET": SECRET,
            "ENIBOT_APPROVERS": "U0APPROVER1",
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "sim-access-key",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "sim-access-secret",
            "ENIBOT_ECS_ENDPOINT": sim.url,
            "ENIBOT_SLACK_API_URL": slack.api_url,
            "ENIBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
            "ENIBOT_POLL_INTERVAL": "0.5",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    assert _get(f"{base}/healthz") == "ok\n"
                    break
                except OSError:
                    assert time.monotonic() < deadline, "serve did not start"
                    time.sleep(0.1)
            assert _get(f"{base}/readyz") == "ok\n"
            with SlackSender(f"{base}/slack/events", SECRET, stand_in=slack) as sender:
                answer = sender.command(
                    f"detach {ENI} moving traffic", user_id="U0REQUESTER", channel_id="C0ENIOPS"
                )
                assert answer.status_code == 200
                card = slack.wait_for(
                    lambda s: next((m for m in s.messages("C0ENIOPS") if m.blocks), None),
                    timeout=15,
                )
                assert (
                    sender.click(card, "approve_request", user_id="U0APPROVER1").status_code == 200
                )
                slack.wait_for(
                    lambda s: (
                        any(
                            ":large_green_circle:" in str(m.blocks) or "Done." in str(m.blocks)
                            for m in s.thread("C0ENIOPS", card.ts)
                        )
                        or None
                    ),
                    timeout=30,
                )
            assert 'eni_bot_requests{state="detached"} 1.0' in _get(f"{base}/metrics")
        finally:
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(30)
            stderr = proc.stderr.read() if proc.stderr else ""
    assert rc == 0, stderr[-2000:]
    assert SECRET not in stderr
    assert sim.calls.snapshot()["accepted_detaches"] == {ENI: 1}
