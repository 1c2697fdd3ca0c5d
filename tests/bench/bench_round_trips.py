"""Database round trips per click and per Detach, counted with SQLAlchemy's cursor events.

Run: .venv/bin/python tests/bench/bench_round_trips.py   (prints figures; asserts nothing)
Counts every statement the real use cases send to SQLite for: one approve click that reaches the
quorum (the listener's use case), one reject click, and one approved request driven by the real
executor to `detaching` against the ECS simulator (claim → start → re-check → intent → Detach →
record). Transactions are counted as BEGINs.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[2])]

from sqlalchemy import Engine, event  # noqa: E402

from bot import db  # noqa: E402
from bot.ecs.client import EcsClient  # noqa: E402
from bot.ecs.credentials import StaticCredentials  # noqa: E402
from bot.requests import decisions  # noqa: E402
from bot.requests.schemas import Policy  # noqa: E402
from bot.sim.ecs import EcsSimulator  # noqa: E402
from bot.workers.executor import Executor, ExecutorConfig  # noqa: E402

from support.judges import anyone  # noqa: E402
from support.stack import APPROVER, SIM_KEY, SIM_SECRET  # noqa: E402
from support.workers_env import FAST_RETRY, make_world, submit_and_approve  # noqa: E402

POLICY = Policy()


class Statements:
    """Counts statements by their first keyword while `active`."""

    def __init__(self, engine: Engine) -> None:
        self.counts: Counter[str] = Counter()
        self.active = False
        event.listen(engine, "before_cursor_execute", self._seen)
        event.listen(engine, "begin", self._begin)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.active:
            word = statement.lstrip().split(None, 1)[0].upper()
            if word != "BEGIN":
                self.counts[word] += 1

    def _begin(self, _conn: Any) -> None:
        if self.active:
            self.counts["BEGIN"] += 1

    def measure(self, work: Callable[[], object]) -> Counter[str]:
        self.counts = Counter()
        self.active = True
        try:
            work()
        finally:
            self.active = False
        return self.counts


def _row(name: str, counts: Counter[str]) -> str:
    cols = ("SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN")
    total = sum(counts[c] for c in cols[:-1])
    return f"{name:<28}" + "".join(f"{counts[c]:>8}" for c in cols) + f"{total:>8}"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        db.upgrade(url)
        engine = db.make_engine(url)
        sessions = db.session_factory(engine)
        stmts = Statements(engine)
        [pending, to_reject] = submit_and_approve(sessions, POLICY, [0, 1], approve=False)

        def click(decide: Callable[..., object], rid: int) -> Callable[[], object]:
            def run() -> object:
                with db.transaction(sessions) as s:
                    return decide(
                        s, request_id=rid, approver_id=APPROVER, policy=POLICY, now=db.utcnow()
                    )

            return run

        def approve(s: Any, **kw: Any) -> object:
            return decisions.approve(s, judge=anyone(), **kw)

        approve_counts = stmts.measure(click(approve, pending))

        def reject(s: Any, **kw: Any) -> object:
            return decisions.reject(s, judge=anyone(), **kw)

        reject_counts = stmts.measure(click(reject, to_reject))
        with EcsSimulator(make_world(3, detach_delay=3600)) as sim:
            ecs = EcsClient(
                credentials=StaticCredentials(SIM_KEY, SIM_SECRET),
                endpoint=sim.url,
                retry=FAST_RETRY,
            )
            executor = Executor(
                sessions=sessions, ecs=ecs, policy=POLICY, owner="bench", config=ExecutorConfig()
            )
            detach_counts = stmts.measure(executor.run_once)
            ecs.close()
            detaches = sim.calls.total("DetachNetworkInterface")
        engine.dispose()
    print(f"{'statements':<28}{'SELECT':>8}{'INSERT':>8}{'UPDATE':>8}{'DELETE':>8}"
          f"{'BEGIN':>8}{'total':>8}")  # fmt: skip
    print(_row("approve click (quorum 1)", approve_counts))
    print(_row("reject click", reject_counts))
    print(_row(f"approved -> detaching ({detaches} Detach)", detach_counts))


if __name__ == "__main__":
    main()
