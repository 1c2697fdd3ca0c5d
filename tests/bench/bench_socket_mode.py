"""`eni-bot socket` on the Socket Mode stand-in: ack latency, and how fast it gets back after drops.

Run: .venv/bin/python tests/bench/bench_socket_mode.py   (prints figures; asserts nothing)

The bot runs as a real `eni-bot socket` process against the ECS simulator (every call takes
ECS_LATENCY, so a `/eni detach` keeps the bot busy after its ack) and the Slack stand-ins in
this process. Ack latency is measured by the stand-in, from sending an envelope to receiving
its ack, for `/eni help`, `/eni detach` and approve clicks, sent by SENDERS threads at once.
Then, per kind of ending, the time from the stand-in ending the connection to the bot's next
connection saying hello: `disconnect` (refresh_requested), a TCP reset, and a dead path
(nothing in or out, no FIN: only the bot's keepalive can tell). CONTRACT.md: acks within 3 s,
a dead connection noticed within 15 s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from benchkit import APPROVER, CHANNEL, REQUESTER, Summary, eni_id, make_world, summarize

from bot.sim.ecs import EcsSimulator, FaultSpec
from bot.sim.slack import SlackWebApiStandIn
from bot.sim.slack.envelopes import Closed
from bot.sim.slack.records import Message
from bot.sim.slack.socket_mode import DEFAULT_APP_TOKEN, SocketModeStandIn
from bot.sim.slack.socket_sender import SocketModeSender
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN
from bot.slack.ids import ActionId

ECS_LATENCY = 0.5
SENDERS = 10
PER_SENDER = 6  # of each kind
DROPS = 4  # trials per kind of ending
SLACK_ACK_LIMIT = 3.0
CONTRACT_NOTICE = 15.0


def start_bot(tmp: Path, ecs: EcsSimulator, slack: SlackWebApiStandIn) -> subprocess.Popen[bytes]:
    """`eni-bot socket` on the loopback servers."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN,
        "SLACK_APP_TOKEN": DEFAULT_APP_TOKEN,
        "ENIBOT_APPROVERS": APPROVER,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "sim-access-key",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "sim-access-secret",
        "ENIBOT_ECS_ENDPOINT": ecs.url,
        "ENIBOT_SLACK_API_URL": slack.api_url,
        "ENIBOT_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
        "ENIBOT_POLL_INTERVAL": "1",
        "ENIBOT_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "socket"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "bot.stderr").open("wb"),
    )


def in_parallel(work: Callable[[int], None]) -> None:
    """Run `work(sender_number)` on SENDERS threads and wait for all."""
    threads = [threading.Thread(target=work, args=(k,)) for k in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def ack_figures(socket: SocketModeStandIn, slack: SlackWebApiStandIn) -> dict[str, Summary]:
    """Send the three kinds of envelope from SENDERS threads; ack latency per kind."""
    latencies: dict[str, list[float]] = {"help": [], "detach": [], "approve": []}
    lock = threading.Lock()

    def measure(kind: str, sender: SocketModeSender) -> None:
        envelope = sender.last_envelope
        assert envelope is not None
        ack = socket.envelope(envelope.envelope_id).ack
        assert ack is not None
        with lock:
            latencies[kind].append(ack.latency)

    def commands(k: int) -> None:
        with SocketModeSender(socket, ack_wait=60) as sender:
            for i in range(PER_SENDER):
                sender.command("help", user_id=REQUESTER, channel_id=CHANNEL)
                measure("help", sender)
                eni = eni_id(k * PER_SENDER + i)
                sender.command(f"detach {eni} bench", user_id=REQUESTER, channel_id=CHANNEL)
                measure("detach", sender)

    in_parallel(commands)
    total = SENDERS * PER_SENDER

    def cards(s: SlackWebApiStandIn) -> list[Message] | None:
        found = [m for m in s.messages(CHANNEL) if m.blocks and "approve_request" in str(m.blocks)]
        return found if len(found) >= total else None

    posted = slack.wait_for(cards, timeout=300)

    def approvals(k: int) -> None:
        with SocketModeSender(socket, ack_wait=60) as sender:
            for card in posted[k::SENDERS]:
                sender.click(card, ActionId.APPROVE.value, user_id=APPROVER)
                measure("approve", sender)

    in_parallel(approvals)
    return {
        kind: summarize(samples, late_after=SLACK_ACK_LIMIT) for kind, samples in latencies.items()
    }


def back_after(socket: SocketModeStandIn, end: Callable[[], None]) -> tuple[float, float]:
    """Seconds from `end()` ending the live connection to the next one's hello, and the ack
    latency of a `/eni help` sent right after that hello."""
    before = len(socket.connections())
    socket.wait_connected(before, timeout=60)
    time.sleep(1.0)  # let the connection settle into its keepalive rhythm
    started = time.monotonic()
    end()
    record = socket.wait_connected(before + 1, timeout=120)
    assert record.hello_at is not None
    with SocketModeSender(socket, ack_wait=60) as sender:
        sender.command("help", user_id=REQUESTER, channel_id=CHANNEL)
        assert sender.last_envelope is not None
        ack = socket.envelope(sender.last_envelope.envelope_id).ack
    assert ack is not None
    return record.hello_at - started, ack.latency


def main() -> None:
    """Print the figures."""
    started = time.monotonic()
    world = make_world(SENDERS * PER_SENDER, detach_delay=1.0)
    with (
        tempfile.TemporaryDirectory(prefix="eni-bot-bench-") as tmpdir,
        EcsSimulator(world, keys={"sim-access-key": "sim-access-secret"}) as ecs,
        SlackWebApiStandIn() as slack,
        SocketModeStandIn(slack) as socket,
    ):
        ecs.faults.add(FaultSpec(kind="latency", seconds=ECS_LATENCY, times=None))
        proc = start_bot(Path(tmpdir), ecs, slack)
        try:
            socket.wait_connected(1, timeout=120)
            acks = ack_figures(socket, slack)
            endings = {
                "disconnect (refresh_requested)": lambda: socket.disconnect(),
                "TCP reset, no close frame": lambda: socket.drop(Closed.RESET),
                "dead path (no FIN, no pong)": lambda: socket.drop(Closed.SILENT),
            }
            back = {
                name: [back_after(socket, end) for _ in range(DROPS)]
                for name, end in endings.items()
            }
            redelivered = sum(1 for e in socket.envelopes() if len(e.attempts) > 1)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)

    print(f"eni-bot socket, ECS latency {ECS_LATENCY * 1000:.0f} ms per call, {SENDERS} senders")
    print()
    head = f"{'ack latency (ms)':<18}{'n':>5}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}{'>3 s':>7}"
    print(head)
    print("-" * len(head))
    for kind, s in acks.items():
        print(
            f"{kind:<18}{s.n:>5}{s.p50 * 1000:>9.1f}{s.p95 * 1000:>9.1f}"
            f"{s.p99 * 1000:>9.1f}{s.max * 1000:>9.1f}{s.late:>7}"
        )
    print(f"envelopes redelivered (no ack within {SLACK_ACK_LIMIT:.0f} s): {redelivered}")
    print()
    head = f"{'connection ended by':<32}{'back on a new one (s)':>24}{'first ack there (ms)':>24}"
    print(head)
    print(f"{'':<32}{'min   mean    max':>24}{'min   mean    max':>24}")
    print("-" * len(head))
    for name, trials in back.items():
        hello = [h for h, _ in trials]
        acked = [a * 1000 for _, a in trials]
        print(
            f"{name:<32}{min(hello):>8.2f}{sum(hello) / len(hello):>7.2f}{max(hello):>7.2f}"
            f"{min(acked):>10.0f}{sum(acked) / len(acked):>7.0f}{max(acked):>7.0f}"
        )
    print(
        f"(CONTRACT: noticed within {CONTRACT_NOTICE:.0f} s; whole run "
        f"{time.monotonic() - started:.0f} s)"
    )


if __name__ == "__main__":
    main()
