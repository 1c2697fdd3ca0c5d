"""A bigger fuzz of the HTTP endpoint than CI runs, with figures: requests tried, 5xx seen.

Run: .venv/bin/python tests/bench/bench_http_fuzz.py [EXAMPLES]   (default 3000; prints figures)

The bot (real Bolt app on the real waitress server, demo world, no workers) gets hypothesis-drawn
requests from tests/support/http_fuzz.py: every method and path, length or chunked framing,
signature headers valid, stale, duplicated, missing or any bytes, and bodies from random bytes
to Slack's shapes with one part broken. Each request goes over its own connection. After the
run /healthz and /readyz must answer 200. Errors the server logged are grouped by where they
were raised, so a 5xx comes with its cause. Exit status 1 when a 5xx was seen or the bot is
unhealthy after.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: support.*

from benchkit import SIGNING_SECRET, BotStack
from hypothesis import HealthCheck, Phase, given, settings

from bot.sim.ecs import demo_world

from support.http_fuzz import FuzzRequest, Tally, fuzz_requests, send
from support.rawhttp import exchange, head

DEFAULT_EXAMPLES = 3000


class Causes(logging.Handler):
    """Errors logged with a traceback, counted by exception type and the frame that raised."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if not record.exc_info or record.exc_info[1] is None:
            return
        exc = record.exc_info[1]
        frames = traceback.extract_tb(exc.__traceback__)
        where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
        self.seen[f"{type(exc).__name__} at {where} (logged by {record.name})"] += 1


def _status(port: int, path: str) -> int:
    answer, _ = exchange(port, head("GET", path, []), timeout=10)
    return answer.status if answer is not None else 0


def main() -> int:
    examples = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_EXAMPLES
    causes = Causes()
    logging.getLogger().addHandler(causes)
    logging.getLogger().setLevel(logging.ERROR)
    tally = Tally()
    with BotStack(demo_world()) as bot:
        port = bot.server.port

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(request=fuzz_requests())
        def fuzz(request: FuzzRequest) -> None:
            with contextlib.suppress(TimeoutError):  # counted in the tally as hung
                send(port, request, SIGNING_SECRET, int(time.time()), tally)

        started = time.perf_counter()
        fuzz()
        elapsed = time.perf_counter() - started
        bot.settle(timeout=60)
        healthz, readyz = _status(port, "/healthz"), _status(port, "/readyz")
    print(f"requests tried:   {tally.tried} in {elapsed:.1f} s ({tally.tried / elapsed:.0f}/s)")
    print(f"5xx seen:         {tally.five_xx}")
    print(f"unanswered:       {tally.unanswered}")
    print(f"hung (no answer within 10 s): {tally.hung}")
    shown = ", ".join(f"{status}: {n}" for status, n in sorted(tally.statuses.items()))
    print(f"by status:        {shown}")
    print(f"after the run:    /healthz {healthz}, /readyz {readyz}")
    for cause, n in causes.seen.most_common():
        print(f"logged error x{n}: {cause}")
    for request in tally.server_errors[:5]:
        print(f"5xx for: {request!r}")
    for request in tally.hangs[:5]:
        print(f"hung: {request!r}")
    healthy = healthz == readyz == 200
    return 0 if tally.five_xx == 0 and tally.hung == 0 and healthy else 1


if __name__ == "__main__":
    raise SystemExit(main())
