"""The composition root's builders: the one place that builds real parts and plugs them in.

`bot.cli` calls these for `serve`, `socket` and `worker`; the console calls the same ones with
other adapters (its simulators' URLs and keys, counting executors), and tests do too. Each part
is built once, complete: nothing is reached into and replaced afterwards.

    settings ─► build_runtime ─► engine, sessions, metrics, database clock, ECS client, WebClient
             ├► build_app      ─► the Bolt app, its listener pools (bot.slack.app.ListenerPools)
             ├► build_sender   ─► the outbox Sender (bot.slack.notifier, without SDK retries),
             │                    reading requests through card_loader (bot.requests.cards)
             └► build_workers  ─► executor, poller, relay, expiry, retention (bot.workers); the
                                  relay tells the domain about cards through card_hooks
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.clock import DatabaseClock
from bot.config import ConfigError, Settings
from bot.ecs.client import EcsCallObserver, EcsClient
from bot.ecs.credentials import CredentialsProvider, EnvCredentials, StaticCredentials
from bot.ecs.retry import RetryPolicy
from bot.observability.metrics import Metrics
from bot.observability.slack_client import InstrumentedWebClient
from bot.outbox.port import CardHooks, Sender
from bot.policy import ApprovalPolicy, default_policy, load_policy
from bot.requests import cards
from bot.requests.cards import CardView
from bot.requests.schemas import Policy
from bot.runtime import Runtime
from bot.slack import app as slack_app
from bot.slack.auth import People
from bot.slack.notifier import CardLoader, OutboxNotifier, quiet_client
from bot.workers.runner import WorkerOptions, Workers

__all__ = [
    "EcsFactory",
    "approval_policy",
    "build_app",
    "build_ecs_client",
    "build_runtime",
    "build_sender",
    "build_slack_client",
    "build_workers",
    "card_hooks",
    "card_loader",
    "ecs_credentials",
    "policy_from",
]

# Builds the process's ECS client around the observer that feeds its metrics.
EcsFactory = Callable[[EcsCallObserver], EcsClient]


def policy_from(settings: Settings) -> Policy:
    """The use cases' policy from settings."""
    return Policy(
        approvals_needed=settings.required_approvals,
        approval_ttl=settings.approval_ttl,
        stuck_after=settings.stuck_after,
        incident_channel=settings.incident_channel,
        max_enis=settings.max_enis_per_request,
        bulk_concurrency=settings.bulk_concurrency,
        bulk_max_failures=settings.bulk_max_failures,
    )


def approval_policy(settings: Settings) -> ApprovalPolicy:
    """ENIBOT_POLICY_FILE read once, or the one default rule; raises bot.policy.PolicyError."""
    if settings.policy_file is None:
        return default_policy(approvers=settings.approvers, approvals=settings.required_approvals)
    return load_policy(settings.policy_file, default_approvers=settings.approvers)


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


def ecs_credentials(settings: Settings) -> CredentialsProvider:
    """Keys in the environment, read per call so rotated STS tokens apply; else the .env pair."""
    if os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID"):
        return EnvCredentials()
    if settings.access_key_id and settings.access_key_secret:
        # Keys from a .env file: fixed for the life of the process.
        token = settings.security_token.get_secret_value() if settings.security_token else None
        return StaticCredentials(
            settings.access_key_id, settings.access_key_secret.get_secret_value(), token
        )
    return EnvCredentials()


def build_ecs_client(
    settings: Settings,
    observer: EcsCallObserver | None = None,
    *,
    credentials: CredentialsProvider | None = None,
    retry: RetryPolicy | None = None,
) -> EcsClient:
    """The ECS client on ENIBOT_ECS_ENDPOINT; `credentials` default to `ecs_credentials`."""
    return EcsClient(
        credentials=credentials if credentials is not None else ecs_credentials(settings),
        endpoint=settings.ecs_endpoint,
        observer=observer,
        retry=retry,
    )


def build_runtime(
    settings: Settings,
    *,
    migrate: bool | None = None,
    ecs: EcsFactory | None = None,
    approval: ApprovalPolicy | None = None,
) -> Runtime:
    """Connect the parts; apply migrations first when ENIBOT_AUTO_MIGRATE (or `migrate`) says so.

    `ecs` builds another ECS client (other keys, retries or transport) in place of
    `build_ecs_client(settings)`; it is handed the observer the metrics count calls with.
    `approval` is the policy the command already read (else `approval_policy(settings)`).
    """
    if approval is None:
        approval = approval_policy(settings)
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
    observer = metrics.ecs_observer
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        ecs=ecs(observer) if ecs is not None else build_ecs_client(settings, observer),
        slack=build_slack_client(settings, metrics),
        policy=policy_from(settings),
        approval=approval,
        metrics=metrics,
        # One clock for the app and the workers of this process, read off the database's, so
        # every replica computes and compares lease and due times alike.
        clock=DatabaseClock(engine),
    )


def build_app(
    runtime: Runtime,
    *,
    pools: slack_app.ListenerPools | None = None,
    people: People | None = None,
    token_verification_enabled: bool = True,
) -> App:
    """The Bolt app with its listener pools (production's unless given); runs `auth.test`."""
    return slack_app.build_app(
        runtime,
        pools=pools if pools is not None else slack_app.listener_pools(),
        people=people,
        token_verification_enabled=token_verification_enabled,
    )


def card_loader(sessions: sessionmaker[Session]) -> CardLoader:
    """What the Sender renders a request's messages from, read at send time."""

    def load(request_id: int, *, approvals: bool = False) -> CardView | None:
        return cards.load(sessions, request_id, approvals=approvals)

    return load


def card_hooks(policy: Policy) -> CardHooks:
    """What the relay tells the domain about cards, in the transaction that records them.

    The outbox may not import the domain (DESIGN.md; the `outbox` import-linter contract) while
    the domain enqueues into the outbox, so the arrow is closed here: the request keeps its
    card's ts (`/eni status` links it), and a card that cannot be posted cancels its request.
    """

    def undeliverable(session: Session, request_id: int, problem: str, now: datetime) -> None:
        cards.card_undeliverable(
            session, request_id=request_id, problem=problem, policy=policy, now=now
        )

    return CardHooks(posted=cards.card_posted, undeliverable=undeliverable)


def build_sender(runtime: Runtime) -> Sender:
    """The relay's Sender: the Slack notifier on a client that leaves every retry to the relay."""
    return OutboxNotifier(quiet_client(runtime.slack), card_loader(runtime.sessions))


def build_workers(
    runtime: Runtime, options: WorkerOptions | None = None, *, sender: Sender | None = None
) -> Workers:
    """The workers of this process, sharing the runtime's sessions, ECS client and doorbells."""
    # Lease and due times come from the database's clock, whatever this host's says: a runtime
    # from build_runtime has one; a test's Runtime may carry any host clock, read through it.
    clock = runtime.clock
    if not isinstance(clock, DatabaseClock):
        clock = DatabaseClock(runtime.engine, host=clock)
    settings = runtime.settings
    return Workers(
        sessions=runtime.sessions,
        ecs=runtime.ecs,
        policy=runtime.policy,
        sender=sender if sender is not None else build_sender(runtime),
        card_hooks=card_hooks(runtime.policy),
        doorbells=runtime.doorbells,
        clock=clock,
        poll_interval=settings.poll_interval,
        retention_days=settings.outbox_retention_days,
        options=options,
    )
