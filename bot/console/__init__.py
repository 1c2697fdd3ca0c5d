"""`eni-bot console`: the sandbox where the real bot runs against simulated Slack and ECS."""

from __future__ import annotations

from bot.console.app import run_console

__all__ = ["run_console"]
