"""Background workers: executor, poller, outbox relay and expiry sweeper, and their runner."""

from bot.workers.runner import WorkerOptions, Workers, run_workers

__all__ = ["WorkerOptions", "Workers", "run_workers"]
