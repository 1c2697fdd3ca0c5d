"""The console's one printer: every line, from whichever thread, goes out whole and in order."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["Output"]

log = logging.getLogger(__name__)


class Output:
    """One printer thread draining a queue: lines from every thread come out whole, in order."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._held: list[Callable[[], None]] | None = None
        self._thread = threading.Thread(target=self._run, name="console-output", daemon=True)
        self._thread.start()

    def put(self, job: Callable[[], None]) -> None:
        """Print later, after everything queued before."""
        self._queue.put(job)

    def put_event(self, job: Callable[[], None]) -> None:
        """Print something the bot did; held back while a request's own answer is awaited."""
        with self._lock:
            if self._held is not None:
                self._held.append(job)
                return
        self._queue.put(job)

    @contextmanager
    def answer_first(self) -> Iterator[None]:
        """Within: the bot's HTTP answer is printed before what the bot did meanwhile.

        A listener acks, then goes on (respond(), chat.*) while the answer is still on its way
        back to the console; held events follow the answer, in the order they happened.
        """
        with self._lock:
            self._held = []
        try:
            yield
        finally:
            with self._lock:
                held, self._held = self._held or [], None
                for job in held:
                    self._queue.put(job)

    def flush(self) -> None:
        """Block until everything queued so far is printed."""
        self._queue.join()

    def close(self) -> None:
        """Print what is queued, then stop the printer."""
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                job()
            except Exception:
                log.exception("console output failed")
            finally:
                self._queue.task_done()
