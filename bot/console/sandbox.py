"""The sandbox's parts, started and stopped together: the same pieces production runs.

An ECS simulator and a Slack Web API stand-in on free loopback ports; a Runtime built from
settings that point at them (database: a temp SQLite file unless given); the real Bolt app served
over HTTP on loopback; the real workers; and a sender that signs requests exactly as Slack does.
With `socket_mode`, the app is connected over Socket Mode instead (`eni-bot socket`'s handler on
the Socket Mode stand-in) and the sender delivers envelopes. Nothing here knows it is a console:
the bot only sees URLs and keys.

The bot's parts are built by the same builders as `eni-bot serve` (`bot.bootstrap`), handed the
console's adapters at construction: an ECS client signing with the simulator's keys, listener
pools and a simulator that count work in flight (so a script can wait for quiet). Nothing is
patched once built.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from pydantic import SecretStr
from slack_bolt import App

from bot.bootstrap import build_app, build_ecs_client, build_runtime, build_workers
from bot.config import Settings
from bot.console.settle import Activity, CountingEcsService, CountingExecutor
from bot.console.users import INCIDENT_CHANNEL_ID, approver_ids, console_workspace
from bot.ecs.client import EcsCallObserver, EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.retry import RetryPolicy
from bot.runtime import Runtime
from bot.sim.ecs.server import EcsSimulator
from bot.sim.slack.sender import SlackSender
from bot.sim.slack.socket_mode import DEFAULT_APP_TOKEN, SocketModeStandIn
from bot.sim.slack.socket_sender import SocketModeSender
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN, SlackWebApiStandIn
from bot.slack.app import listener_pools, shutdown_app
from bot.slack.server import EVENTS_PATH, HttpServer
from bot.slack.socket import connect, socket_handler

__all__ = ["CONSOLE_POLL_INTERVAL", "CONSOLE_STUCK_AFTER", "Sandbox", "console_settings"]

log = logging.getLogger(__name__)

# Short on purpose: a newcomer should see Detaching → Available and a stuck ENI within seconds.
CONSOLE_POLL_INTERVAL = 0.5
CONSOLE_STUCK_AFTER = 8.0
# Fake, and only ever between two loopback ends of this process.
CONSOLE_SIGNING_SECRET = "console-signing-secret"  # noqa: S105


def database_url(db: str | None, tmpdir: Path) -> str:
    """`--db` as a SQLAlchemy URL (a bare path means a SQLite file); a temp file by default."""
    if db is None:
        return f"sqlite:///{tmpdir / 'console.db'}"
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def console_settings(
    settings: Settings,
    *,
    database_url: str,
    ecs_url: str,
    slack_api_url: str,
    socket_mode: bool = False,
) -> Settings:
    """The operator's settings pointed at the sandbox: its URLs, fake secrets, sandbox people.

    Timing the person set explicitly (ENIBOT_POLL_INTERVAL, ENIBOT_STUCK_AFTER) is kept;
    otherwise the console's short values make the tour quick.
    """
    chosen = settings.model_fields_set
    update: dict[str, Any] = {
        "database_url": database_url,
        "auto_migrate": True,
        "ecs_endpoint": ecs_url,
        "access_key_id": settings.sim_access_key_id,
        "access_key_secret": settings.sim_access_key_secret,
        "security_token": None,
        "slack_api_url": slack_api_url,
        "slack_bot_token": SecretStr(DEFAULT_BOT_TOKEN),
        "slack_signing_secret": SecretStr(CONSOLE_SIGNING_SECRET),
        "slack_app_token": SecretStr(DEFAULT_APP_TOKEN) if socket_mode else None,
        "approvers": approver_ids(),
        "requesters": [],
        "incident_channel": INCIDENT_CHANNEL_ID,
    }
    if "poll_interval" not in chosen:
        update["poll_interval"] = CONSOLE_POLL_INTERVAL
    if "stuck_after" not in chosen:
        update["stuck_after"] = CONSOLE_STUCK_AFTER
    if settings.default_region not in settings.allowed_regions:
        update["default_region"] = settings.allowed_regions[0]
    return settings.model_copy(update=update)


@dataclass
class Parts:
    """The running pieces, for the session to drive."""

    settings: Settings
    runtime: Runtime
    simulator: EcsSimulator
    stand_in: SlackWebApiStandIn
    sender: SlackSender
    activity: Activity


class Sandbox:
    """Starts every part in order and stops them in reverse, also when a start fails."""

    def __init__(self, settings: Settings, *, db: str | None, socket_mode: bool = False) -> None:
        self._settings = settings
        self._db = db
        self._socket_mode = socket_mode
        self._stack = ExitStack()
        self.parts: Parts | None = None

    def start(self, on_slack_call: Callable[[Any], None]) -> Parts:
        """Start everything; `on_slack_call` hears every call the bot makes to Slack."""
        stack = self._stack
        try:
            tmpdir = Path(tempfile.mkdtemp(prefix="eni-bot-console-"))
            stack.callback(shutil.rmtree, tmpdir, True)
            activity = Activity()

            workspace = console_workspace()
            stand_in = SlackWebApiStandIn(workspace=workspace, channels=workspace.channels)
            stand_in.subscribe(activity.slack_call)
            stand_in.subscribe(on_slack_call)
            stand_in.start()
            stack.callback(stand_in.stop)

            simulator = EcsSimulator(
                keys={
                    self._settings.sim_access_key_id: (
                        self._settings.sim_access_key_secret.get_secret_value()
                    )
                },
                wrap_service=lambda service: CountingEcsService(service, activity),
            )
            simulator.start()
            stack.callback(simulator.stop)

            settings = console_settings(
                self._settings,
                database_url=database_url(self._db, tmpdir),
                ecs_url=simulator.url,
                slack_api_url=stand_in.api_url,
                socket_mode=self._socket_mode,
            )
            runtime = build_runtime(
                settings,
                migrate=True,
                ecs=lambda observer: _sim_client(settings, observer, activity),
            )
            stack.callback(runtime.close)

            sender: SlackSender
            if self._socket_mode:
                sender = _connect_bot(runtime, stack, activity, stand_in)
            else:
                events_url = _serve_bot(runtime, stack, activity)
                sender = SlackSender(
                    events_url, CONSOLE_SIGNING_SECRET, stand_in=stand_in, workspace=workspace
                )
            stack.callback(sender.close)
            _start_workers(runtime, stack)
        except BaseException:
            stack.close()
            raise
        self.parts = Parts(settings, runtime, simulator, stand_in, sender, activity)
        return self.parts

    def stop(self) -> None:
        """Stop workers, servers and clients (reverse order of start); safe to call twice."""
        self._stack.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _sim_client(settings: Settings, observer: EcsCallObserver, activity: Activity) -> EcsClient:
    """The ECS client, signing with the simulator's pair.

    The default credentials prefer keys found in the environment (a real account's, perhaps);
    the sandbox must never send a real key ID.
    """
    return build_ecs_client(
        settings,
        observer,
        credentials=StaticCredentials(
            settings.sim_access_key_id, settings.sim_access_key_secret.get_secret_value()
        ),
        # Backoff between attempts counts as activity, so a script waits it out.
        retry=RetryPolicy(sleep=activity.sleep),
    )


def _counted_app(runtime: Runtime, activity: Activity) -> App:
    """The real Bolt app; listeners go on working after their ack, and the console waits."""
    return build_app(
        runtime, pools=listener_pools(wrap=lambda pool: CountingExecutor(pool, activity))
    )


def _serve_bot(runtime: Runtime, stack: ExitStack, activity: Activity) -> str:
    """Serve the real Bolt app on a free loopback port; returns its /slack/events URL."""
    server = HttpServer(runtime, "127.0.0.1", 0, app=_counted_app(runtime, activity)).start()
    stack.callback(server.stop)
    return server.url + EVENTS_PATH


def _connect_bot(
    runtime: Runtime, stack: ExitStack, activity: Activity, stand_in: SlackWebApiStandIn
) -> SocketModeSender:
    """Connect the real Bolt app over Socket Mode, as `eni-bot socket` does; its sender."""
    socket_mode = SocketModeStandIn(stand_in).start()
    stack.callback(socket_mode.stop)
    app = _counted_app(runtime, activity)
    handler = socket_handler(runtime, app=app)
    connect(handler)
    stack.callback(shutdown_app, app)
    stack.callback(handler.close)
    socket_mode.wait_connected()
    return SocketModeSender(socket_mode)


def _start_workers(runtime: Runtime, stack: ExitStack) -> None:
    """Start the real workers in this process; stopped when the stack closes."""
    workers = build_workers(runtime)
    workers.start()
    stack.callback(workers.stop)
