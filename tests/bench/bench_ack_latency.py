"""Ack latency of the bot's HTTP endpoint next to a bare Bolt app that only acks, same run.

Run: .venv/bin/python tests/bench/bench_ack_latency.py   (prints figures; asserts nothing)

Both apps are served by `bot.slack.server.HttpServer` (the same waitress setup, the same
`slack_bolt.adapter.wsgi` handler, the same signing secret and listener pool size); the bare app
registers listeners that only call `ack()`. The ECS simulator answers every call in 500 ms, so a
`/eni detach` keeps a listener thread busy for its pre-flight (two ECS calls) after the ack.
Each sender is a thread with its own keep-alive httpx client sending back to back; the figure is
client-side time from sending a signed request to its response headers. No workers run: clicks
approve, and the approved requests wait. Between cells the bot's post-ack work is left to finish.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import httpx
from benchkit import (
    APPROVER,
    CHANNEL,
    REQUESTER,
    SIGNING_SECRET,
    BotStack,
    Summary,
    eni_id,
    make_world,
    summarize,
)
from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.sim.ecs import FaultSpec
from bot.sim.slack import payloads
from bot.sim.slack.signing import signed_request
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN, SlackWebApiStandIn
from bot.slack.app import LISTENER_THREADS
from bot.slack.ids import COMMAND, ActionId
from bot.slack.server import EVENTS_PATH, HttpServer

ECS_LATENCY = 0.5
CONCURRENCY = (1, 20, 50)
KINDS = ("detach", "help", "approve")
PER_CELL = 240  # requests per cell, rounded up to a multiple of the sender count
WARMUP = 3  # /eni help per sender before a cell, to open its keep-alive connection
TARGET_RATIO = 1.5
TARGET_P99 = 0.100
SLACK_TIMEOUT = 3.0  # Slack shows the user an error when the ack takes longer
# Slack's own request headers (see bot.sim.slack.sender).
SLACK_HEADERS = {
    "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    "Accept": "application/json,*/*",
    "Accept-Encoding": "gzip,deflate",
}


def cell_size(senders: int) -> int:
    """Requests in one cell: PER_CELL rounded up so every sender sends as many."""
    return -(-PER_CELL // senders) * senders


@dataclass(frozen=True)
class Cell:
    """One kind × concurrency measurement against one app."""

    summary: Summary
    failures: int  # answers other than 200, and requests with no answer
    wall: float
    server_mean: float | None = None  # the bot's own arrival -> ack() mean (its histogram)

    @property
    def late(self) -> int:
        """Answers slower than Slack waits (counted in the figures too)."""
        return self.summary.late

    @property
    def rate(self) -> float:
        """Requests per second over the cell."""
        return self.summary.n / self.wall if self.wall > 0 else 0.0


def bare_app(stand_in: SlackWebApiStandIn) -> App:
    """A Bolt app configured like the bot's (bot/slack/app.py) whose listeners only ack."""
    app = App(
        name="bare",
        client=WebClient(token=DEFAULT_BOT_TOKEN, base_url=stand_in.api_url),
        signing_secret=SIGNING_SECRET,
        token_verification_enabled=False,
        request_verification_enabled=True,
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="bare-listener"),
    )

    def only_ack(ack: Ack) -> None:
        ack()

    app.command(COMMAND)(only_ack)
    for action_id in ActionId:
        app.action(action_id.value)(only_ack)
    return app


def command_body(stack: BotStack, text: str) -> bytes:
    """A `/eni <text>` form body from the requester, with a response URL the stand-in serves."""
    stand_in = stack.stand_in
    fields = payloads.slash_command_fields(
        stand_in.workspace,
        command=COMMAND,
        text=text,
        user_id=REQUESTER,
        channel_id=CHANNEL,
        response_url=stand_in.new_response_url(channel=CHANNEL, user=REQUESTER),
        trigger_id=stand_in.issue_trigger(),
    )
    return payloads.form_body(fields)


def approve_bodies(stack: BotStack, numbers: Sequence[int]) -> list[bytes]:
    """Approve clicks on the cards of fresh pending requests, one per ENI number."""
    stand_in = stack.stand_in
    team = stand_in.workspace.team_id
    bodies = []
    for request_id in stack.pending_requests(numbers):
        card = stack.post_card(request_id)
        api_message = card.as_api(with_metadata=False, team_id=team)
        block_id, button = payloads.find_button(
            api_message.get("blocks", []), ActionId.APPROVE.value
        )
        action = payloads.button_action_from(
            button, block_id=block_id, action_ts=f"{time.time():.6f}"
        )
        payload = payloads.message_block_actions(
            stand_in.workspace,
            user_id=APPROVER,
            channel_id=CHANNEL,
            message=api_message,
            actions=[action],
            trigger_id=stand_in.issue_trigger(),
            response_url=stand_in.new_response_url(
                channel=CHANNEL, user=APPROVER, message_ts=card.ts
            ),
        )
        bodies.append(payloads.interaction_body(payload))
    return bodies


def run_cell(url: str, bodies: Sequence[bytes], senders: int, warmup: bytes) -> Cell:
    """Send `bodies` from `senders` threads, each on its own keep-alive client, back to back."""
    shares = [bodies[i::senders] for i in range(senders)]
    results: list[list[float]] = [[] for _ in range(senders)]
    failures = [0] * senders
    start = threading.Barrier(senders + 1)

    def send(client: httpx.Client, body: bytes) -> tuple[float, int]:
        # Signed just before sending, as Slack does; the clock starts after signing.
        signed = signed_request(
            body, content_type=payloads.FORM, secret=SIGNING_SECRET, now=int(time.time())
        )
        began = time.perf_counter()
        with client.stream("POST", url, content=signed.body, headers=signed.headers) as answer:
            elapsed = time.perf_counter() - began
            answer.read()
        return elapsed, answer.status_code

    def sender(index: int) -> None:
        with httpx.Client(headers=SLACK_HEADERS, timeout=30.0) as client:
            try:
                for _ in range(WARMUP):
                    send(client, warmup)
            finally:
                start.wait()
            for body in shares[index]:
                try:
                    elapsed, status = send(client, body)
                except httpx.HTTPError:
                    failures[index] += 1
                    continue
                if status == 200:
                    results[index].append(elapsed)
                else:
                    failures[index] += 1

    threads = [
        threading.Thread(target=sender, args=(i,), name=f"bench-sender-{i}", daemon=True)
        for i in range(senders)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    samples = [s for r in results for s in r]
    return Cell(summarize(samples, late_after=SLACK_TIMEOUT), sum(failures), wall)


def ack_totals(stack: BotStack, kind: str) -> tuple[float, float]:
    """(count, sum of seconds) of the bot's ack-latency histogram for one kind, so far."""
    count = total = 0.0
    for metric in stack.runtime.metrics.ack_seconds.collect():
        for sample in metric.samples:
            if sample.labels.get("kind") != kind:
                continue
            if sample.name.endswith("_count"):
                count = sample.value
            elif sample.name.endswith("_sum"):
                total = sample.value
    return count, total


def ms(seconds: float) -> str:
    """Seconds as a short millisecond figure."""
    return f"{seconds * 1000:7.1f}"


def main() -> None:
    # Waitress warns at every queued task; the figures already show the queueing.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    total = sum(cell_size(c) for c in CONCURRENCY)
    world = make_world(2 * total + 10, detach_delay=1.0)
    results: dict[tuple[str, int], tuple[Cell, Cell]] = {}
    started = time.perf_counter()
    with BotStack(world) as stack:
        stack.simulator.faults.add(FaultSpec(kind="latency", seconds=ECS_LATENCY, times=None))
        bare = HttpServer(stack.runtime, "127.0.0.1", 0, app=bare_app(stack.stand_in)).start()
        try:
            bot_url = stack.events_url
            bare_url = bare.url + EVENTS_PATH
            help_body = command_body(stack, "help")
            next_eni = 0

            def fresh(count: int) -> list[int]:
                nonlocal next_eni
                numbers = list(range(next_eni, next_eni + count))
                next_eni += count
                return numbers

            builders: dict[str, Callable[[int], list[bytes]]] = {
                "detach": lambda n: [
                    command_body(stack, f"detach {eni_id(k)} bench: move the app network")
                    for k in fresh(n)
                ],
                "help": lambda n: [command_body(stack, "help") for _ in range(n)],
                "approve": lambda n: approve_bodies(stack, fresh(n)),
            }
            for kind in KINDS:
                for senders in CONCURRENCY:
                    bodies = builders[kind](cell_size(senders))
                    stack.settle()
                    # The bare app gets the same bodies; it only acks, so they stay unused.
                    bare_cell = run_cell(bare_url, bodies, senders, help_body)
                    stack.settle()
                    metric_kind = "action" if kind == "approve" else "command"
                    before = ack_totals(stack, metric_kind)
                    bot_cell = run_cell(bot_url, bodies, senders, help_body)
                    after = ack_totals(stack, metric_kind)
                    acks = after[0] - before[0]
                    if acks:
                        bot_cell = replace(bot_cell, server_mean=(after[1] - before[1]) / acks)
                    results[(kind, senders)] = (bot_cell, bare_cell)
                    print(
                        f"  measured {kind:<7} x{senders:<3} bot p99 {ms(bot_cell.summary.p99)} ms"
                        f"  bare p99 {ms(bare_cell.summary.p99)} ms",
                        flush=True,
                    )
            stack.settle()
        finally:
            bare.stop()
        database = stack.database
    report(results, database, time.perf_counter() - started)


def report(
    results: dict[tuple[str, int], tuple[Cell, Cell]], database: str, elapsed: float
) -> None:
    """The table, then one PASS/WARN line per cell against the targets."""
    print()
    print(
        f"Ack latency, client side (send -> response headers), ECS answering in"
        f" {ECS_LATENCY * 1000:.0f} ms, {LISTENER_THREADS} listener threads, {database},"
        " no workers; ms"
    )
    head = (
        f"{'kind':<8}{'senders':>7}{'n':>5} | {'bot p50':>7} {'p99':>7} {'mean':>7} {'max':>7}"
        f" | {'bare p50':>8} {'p99':>7} {'mean':>7} {'max':>7} | {'p99 ratio':>9}"
        f" | {'srv mean':>8} {'>3s':>4} {'non-200':>7} {'req/s':>6}"
    )
    print(head)
    print("-" * len(head))
    verdicts = []
    for (kind, senders), (bot, bare) in results.items():
        b, r = bot.summary, bare.summary
        ratio = b.p99 / r.p99 if r.p99 > 0 else float("inf")
        server = ms(bot.server_mean) if bot.server_mean is not None else "      -"
        print(
            f"{kind:<8}{senders:>7}{b.n + bot.failures:>5} | {ms(b.p50)} {ms(b.p99)} {ms(b.mean)}"
            f" {ms(b.max)} | {ms(r.p50):>8} {ms(r.p99)} {ms(r.mean)} {ms(r.max)} |"
            f" {ratio:>8.2f}x | {server:>8} {b.late:>4} {bot.failures:>3}/{bare.failures:<3}"
            f" {bot.rate:>6.0f}"
        )
        ok = bot.failures == 0 and ratio <= TARGET_RATIO and b.p99 <= TARGET_P99
        verdicts.append(
            f"{'PASS' if ok else 'WARN'} {kind} x{senders}: bot p99 {b.p99 * 1000:.1f} ms"
            f" = {ratio:.2f}x bare ({r.p99 * 1000:.1f} ms);"
            f" targets <= {TARGET_RATIO}x and <= {TARGET_P99 * 1000:.0f} ms"
            + (f"; {bot.failures} requests not answered 200" if bot.failures else "")
            + (f"; {b.late} slower than Slack's {SLACK_TIMEOUT:g} s" if b.late else "")
        )
    print(
        "srv mean: the bot's own arrival -> ack() mean (its ack histogram);"
        " >3s: bot answers after Slack gave up; non-200: bot/bare; req/s: the bot's rate"
        " (senders send back to back)"
    )
    print()
    for line in verdicts:
        print(line)
    print(f"(whole run {elapsed:.0f} s)")


if __name__ == "__main__":
    main()
