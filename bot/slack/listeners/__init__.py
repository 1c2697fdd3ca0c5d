"""Listeners, registered per kind on an app built by `bot.slack.app.build_app`."""

from __future__ import annotations

from concurrent.futures import Executor

from slack_bolt import App

from bot.runtime import Runtime
from bot.slack.auth import People, people_from
from bot.slack.listeners import actions, commands, home, views
from bot.slack.listeners.context import Surface

__all__ = ["Surface", "register"]


def register(
    app: App,
    runtime: Runtime,
    *,
    people: People | None = None,
    after_ack: Executor,
) -> Surface:
    """Attach every listener (commands, actions, views, events) to `app`.

    `after_ack` runs what a listener does once it has acked: never the listener pool itself,
    or a slow pre-flight would make later acks wait (see bot.slack.app).
    """
    settings = runtime.settings
    surface = Surface(
        runtime=runtime,
        people=people or people_from(settings.approvers, settings.requesters, runtime.slack),
        after_ack_executor=after_ack,
    )
    commands.register(app, surface)
    actions.register(app, surface)
    views.register(app, surface)
    home.register(app, surface)
    return surface
