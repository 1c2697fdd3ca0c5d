"""The parts the Slack surface reads, bundled once by the composition root (`bot.bootstrap`).

A plain, frozen bundle: nothing here builds anything, and nothing writes to it after it is
built. Tests may construct `Runtime` directly with parts of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.config import Settings
from bot.doorbells import Doorbells
from bot.ecs.client import EcsClient
from bot.observability.metrics import Metrics
from bot.policy import ApprovalPolicy, default_policy
from bot.requests.schemas import Policy

__all__ = ["Doorbells", "Runtime"]


@dataclass(frozen=True)
class Runtime:
    """Everything a listener needs, and what the workers are built from; one per process."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    ecs: EcsClient
    slack: WebClient
    policy: Policy
    # The approval policy read at start; None only in a Runtime a test builds by hand.
    approval: ApprovalPolicy | None = None
    doorbells: Doorbells = field(default_factory=Doorbells)
    metrics: Metrics = field(default_factory=Metrics)
    clock: Callable[[], datetime] = db.utcnow

    def approval_policy(self) -> ApprovalPolicy:
        """The policy read at start; without one, the default rule from the settings."""
        if self.approval is not None:
            return self.approval
        return default_policy(
            approvers=self.settings.approvers, approvals=self.settings.required_approvals
        )

    def ready(self) -> tuple[bool, str]:
        """Whether the database is reachable and at head, and why not (for /readyz)."""
        return db.is_ready(self.engine)

    def close(self) -> None:
        """Release pools and connections."""
        self.ecs.close()
        self.engine.dispose()
