"""Entry point of a worker subprocess in tests: `python tests/support/worker_process.py`.

Settings come from the environment (ENIBOT_*, SLACK_*, ALIBABA_CLOUD_*) exactly as for
`eni-bot worker`; ENIBOT_TEST_WORKER_OPTIONS (JSON) shortens leases and waits. The ECS client
retries quickly so tests take seconds. Exits on SIGTERM/SIGINT like the real command.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[2])]

from bot.bootstrap import build_workers  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.workers import run_workers  # noqa: E402

from support.stack import FAST  # noqa: E402
from support.workers_env import runtime_for  # noqa: E402

OPTIONS_VARIABLE = "ENIBOT_TEST_WORKER_OPTIONS"


def main() -> None:
    """Run the workers until signalled."""
    logging.basicConfig(level=logging.WARNING, format="%(process)d %(name)s %(message)s")
    raw = json.loads(os.environ.get(OPTIONS_VARIABLE) or "{}")
    options = replace(FAST, lease_seconds=float(raw.get("lease_seconds", 3.0)))
    if "post_interval" in raw:
        options = replace(options, relay=replace(options.relay, post_interval=raw["post_interval"]))
    runtime = runtime_for(load_settings())
    try:
        run_workers(build_workers(runtime, options))
    finally:
        runtime.close()


if __name__ == "__main__":
    main()
