"""`eni-bot socket` as operators run it: a real process on the Socket Mode stand-in.

The process gets its WebSocket URL from `apps.connections.open` on the Web API stand-in, takes
slash commands and clicks as envelopes, acks them, detaches through the ECS simulator, and
reconnects when Slack asks (`disconnect`) or when the connection dies without a close frame.
Envelopes whose ack was lost come again and are handled once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.sim.ecs import EcsSimulator, demo_world
from bot.sim.slack import SlackWebApiStandIn
from bot.sim.slack.envelopes import Closed, EnvelopeType
from bot.sim.slack.records import Message
from bot.sim.slack.socket_mode import DEFAULT_APP_TOKEN, SocketModeStandIn
from bot.sim.slack.socket_sender import SocketModeSender
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN

from support.workers_env import block_text

CHANNEL = "C0ENIOPS"
REQUESTER = "U0REQUESTER"
APPROVER = "U0APPROVER1"
# From the demo world (bot/sim/ecs/demo_world.yaml).
ENI = "eni-bp1d7r2k9m4x6c3v5n"  # secondary of web-1, InUse
INSTANCE = "i-bp1a3f9k2m7x4q8w6e"
ENI_2 = "eni-bp1k2j3h4g5f6d7s8a"  # secondary of db-standby
# Generous for a loaded 2-core machine; every wait polls or is woken, none is a fixed sleep.
START = 60.0
FLOW = 45.0
# CONTRACT.md: a dead connection is noticed within 15 s. Twice that, and still well under what
# Bolt's default keepalive takes (up to 51 s), so this fails if the keepalive is not set.
DEAD_PATH_RECONNECT = 30.0


@dataclass
class SocketBot:
    """The stand-ins, the simulator and the `eni-bot socket` process on them."""

    proc: subprocess.Popen[bytes]
    stderr: Path
    ecs: EcsSimulator
    slack: SlackWebApiStandIn
    socket: SocketModeStandIn
    sender: SocketModeSender

    def card(self, eni: str) -> Message:
        """The approval card posted for `eni`."""
        return self.slack.wait_for(
            lambda s: next(
                (m for m in s.messages(CHANNEL) if m.blocks and eni in str(m.blocks)), None
            ),
            timeout=FLOW,
        )

    def wait_available(self, card: Message) -> Message:
        """The thread reply that says the ENI is Available."""
        return self.slack.wait_for(
            lambda s: next(
                (m for m in s.thread(CHANNEL, card.ts) if "Available" in block_text(m)), None
            ),
            timeout=FLOW,
        )

    def opens(self) -> int:
        """How many times the bot asked for a WebSocket URL."""
        return len([c for c in self.slack.calls("apps.connections.open") if c.ok])

    def stop(self) -> tuple[int, str]:
        """SIGTERM, as an orchestrator stops it; the exit code and what it wrote on stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait(10)
        return rc, self.stderr.read_text(errors="replace")


def bot_env(tmp_path: Path, ecs: EcsSimulator, slack: SlackWebApiStandIn) -> dict[str, str]:
    """What an operator sets for `eni-bot socket`, pointed at the loopback servers."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN,
        "SLACK_APP_TOKEN": DEFAULT_APP_TOKEN,
        "ENIBOT_APPROVERS": APPROVER,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "sim-access-key",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "sim-access-secret",
        "ENIBOT_ECS_ENDPOINT": ecs.url,
        "ENIBOT_SLACK_API_URL": slack.api_url,
        "ENIBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "ENIBOT_POLL_INTERVAL": "0.5",
    }


@pytest.fixture
def socket_bot(tmp_path: Path) -> Iterator[SocketBot]:
    """`eni-bot socket` started on loopback stand-ins and connected once."""
    stderr = tmp_path / "socket.stderr"
    with (
        EcsSimulator(demo_world()) as ecs,
        SlackWebApiStandIn() as slack,
        SocketModeStandIn(slack) as socket,
        SocketModeSender(socket, ack_wait=FLOW) as sender,
        stderr.open("wb") as err,
    ):
        env = bot_env(tmp_path, ecs, slack)
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "socket"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        bot = SocketBot(proc, stderr, ecs, slack, socket, sender)
        try:
            socket.wait_connected(1, timeout=START)
            yield bot
        finally:
            rc, text = bot.stop()
        assert rc == 0, text[-3000:]
        for secret in (DEFAULT_APP_TOKEN, DEFAULT_BOT_TOKEN):
            assert secret not in text


def test_socket_mode_detaches_and_moves_to_a_new_connection_on_disconnect(
    socket_bot: SocketBot,
) -> None:
    bot = socket_bot
    answer = bot.sender.command(
        f"detach {ENI} {INSTANCE} cn-hangzhou moving traffic", user_id=REQUESTER, channel_id=CHANNEL
    )
    assert answer.status_code == 200
    assert "Checking" in answer.json()["text"]  # the slash command's ack carries its answer
    envelope = bot.sender.last_envelope
    assert envelope is not None and envelope.type is EnvelopeType.SLASH_COMMANDS

    card = bot.card(ENI)
    assert bot.slack.calls("chat.postMessage")[0].ok
    bot.sender.click(card, "approve_request", user_id=APPROVER)
    bot.wait_available(card)
    assert bot.ecs.calls.accepted_detaches(ENI) == 1

    first = bot.socket.disconnect()  # Slack's routine refresh
    bot.socket.wait_connected(2, timeout=FLOW)
    assert bot.opens() == 2  # a fresh URL, not the old one again
    bot.socket.wait_for(lambda s: s.connections()[0].closed is Closed.BY_CLIENT, timeout=FLOW)
    assert first.connection_id == 1

    bot.sender.command(f"detach {ENI_2} after the refresh", user_id=REQUESTER, channel_id=CHANNEL)
    bot.card(ENI_2)
    acked_on = {a.connection_id for a in bot.socket.acks()}
    assert 2 in acked_on
    assert all(e.acked for e in bot.socket.envelopes())


@pytest.mark.slow
def test_socket_mode_survives_dead_connections_and_handles_redeliveries_once(
    socket_bot: SocketBot,
) -> None:
    bot = socket_bot
    # A path that goes dead (no close frame, no FIN): only the bot's keepalive can tell.
    bot.socket.drop(Closed.SILENT)
    bot.socket.wait_connected(2, timeout=DEAD_PATH_RECONNECT)
    assert bot.opens() == 2

    # The command's ack is lost with a reset connection: Slack delivers it again.
    bot.socket.fail_next_ack(Closed.RESET)
    bot.sender.command(f"detach {ENI} moving traffic", user_id=REQUESTER, channel_id=CHANNEL)
    command = bot.sender.last_envelope
    assert command is not None
    delivered = bot.socket.envelope(command.envelope_id)
    assert [a.retry_attempt for a in delivered.attempts] == [0, 1]
    assert delivered.acks[0].lost and not delivered.acks[1].lost
    card = bot.card(ENI)

    # The approve click's ack is lost and the path goes dead: redelivered after the reconnect.
    bot.socket.fail_next_ack(Closed.SILENT)
    bot.sender.click(card, "approve_request", user_id=APPROVER)
    click = bot.sender.last_envelope
    assert click is not None
    assert len(bot.socket.envelope(click.envelope_id).attempts) >= 2
    bot.wait_available(card)

    assert bot.ecs.calls.accepted_detaches(ENI) == 1
    cards = [m for m in bot.slack.messages(CHANNEL) if m.blocks and ENI in str(m.blocks)]
    assert len(cards) == 1  # the repeated command stored nothing new
    assert len(bot.socket.connections()) >= 4


@pytest.mark.parametrize(
    ("app_token", "error"),
    [
        ("xapp-1-A0SIMAPP-1-not-the-token", "invalid_auth"),
        (DEFAULT_BOT_TOKEN, "not_allowed_token_type"),
    ],
)
def test_an_app_token_slack_refuses_exits_2_naming_it(
    tmp_path: Path, app_token: str, error: str
) -> None:
    with (
        EcsSimulator(demo_world()) as ecs,
        SlackWebApiStandIn() as slack,
        SocketModeStandIn(slack) as socket,
    ):
        env = {**bot_env(tmp_path, ecs, slack), "SLACK_APP_TOKEN": app_token}
        result = subprocess.run(
            [sys.executable, "-m", "bot", "socket"],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=START,
            check=False,
        )
        assert socket.connections() == []
    assert result.returncode == 2, result.stderr[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("eni-bot: SLACK_APP_TOKEN:") and error in last
    assert "Traceback" not in result.stderr
    assert app_token not in result.stderr
