"""The running bot's parts, built once from settings and handed to the app and the workers.

Nothing here is created at import; `build_runtime` is called by the CLI (and by tests and the
console with their own URLs). Tests may also construct `Runtime` directly.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.clock import DatabaseClock
from bot.config import ConfigError, Settings
from bot.ecs.client import EcsCallObserver, EcsClient
from bot.ecs.credentials import EnvCredentials, StaticCredentials
from bot.observability.metrics import Metrics
from bot.observability.slack_client import InstrumentedWebClient
from bot.requests.service import Policy


@dataclass
class Doorbells:
    """Wake-ups between threads of one process, so work starts at once instead of next tick.

    Other processes find the same work on their next periodic sweep; the database stays the
    only source of truth.
    """

    outbox: threading.Event = field(default_factory=threading.Event)
    executor: threading.Event = field(default_factory=threading.Event)
    poller: threading.Event = field(default_factory=threading.Event)


@dataclass
class Runtime:
    """Everything a listener or a worker needs; one per process."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    ecs: EcsClient
    slack: WebClient
    policy: Policy
    doorbells: Doorbells = field(default_factory=Doorbells)
    metrics: Metrics = field(default_factory=Metrics)
    clock: Callable[[], datetime] = db.utcnow

    def close(self) -> None:
        """Release pools and connections."""
        self.ecs.close()
        self.engine.dispose()


def policy_from(settings: Settings) -> Policy:
    """The use cases' policy from settings."""
    return Policy(
        approvals_needed=settings.required_approvals,
        approval_ttl=settings.approval_ttl,
        stuck_after=settings.stuck_after,
        incident_channel=settings.incident_channel,
    )


def build_slack_client(settings: Settings, metrics: Metrics | None = None) -> WebClient:
    """A WebClient on ENIBOT_SLACK_API_URL that waits out 429s and retries connection errors."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    retry_handlers = [
        RateLimitErrorRetryHandler(max_retry_count=3),
        ConnectionErrorRetryHandler(max_retry_count=2),
    ]
    if metrics is not None:
        return InstrumentedWebClient(
            token=token,
            base_url=settings.slack_api_url,
            timeout=10,
            retry_handlers=retry_handlers,
            metrics=metrics,
        )
    return WebClient(
        token=token, base_url=settings.slack_api_url, timeout=10, retry_handlers=retry_handlers
    )


def build_ecs_client(settings: Settings, observer: EcsCallObserver | None = None) -> EcsClient:
    """The ECS client; keys in the environment are read per call so rotated STS tokens apply."""
    if os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID"):
        credentials: StaticCredentials | EnvCredentials = EnvCredentials()
    elif settings.access_key_id and settings.access_key_secret:
        # Keys from a .env file: fixed for the life of the process.
        token = settings.security_token.get_secret_value() if settings.security_token else None
        credentials = StaticCredentials(
            settings.access_key_id, settings.access_key_secret.get_secret_value(), token
        )
    else:
        credentials = EnvCredentials()
    return EcsClient(credentials=credentials, endpoint=settings.ecs_endpoint, observer=observer)


def build_runtime(settings: Settings, *, migrate: bool | None = None) -> Runtime:
    """Connect the parts; apply migrations first when ENIBOT_AUTO_MIGRATE (or `migrate`) says so."""
    if migrate if migrate is not None else settings.auto_migrate:
        try:
            db.upgrade(settings.database_url)
        except Exception as exc:
            raise ConfigError(
                f"ENIBOT_DATABASE_URL: cannot migrate {db.redacted_url(settings.database_url)}"
                f" ({type(exc).__name__})"
            ) from None
    engine = db.make_engine(settings.database_url)
    sessions = db.session_factory(engine)
    metrics = Metrics(sessions)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        ecs=build_ecs_client(settings, observer=metrics.ecs_observer),
        slack=build_slack_client(settings, metrics),
        policy=policy_from(settings),
        metrics=metrics,
        # One clock for the app and the workers of this process, read off the database's, so
        # every replica computes and compares lease and due times alike.
        clock=DatabaseClock(engine),
    )
