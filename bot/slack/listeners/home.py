"""App Home: on `app_home_opened`, publish the user's view (events are acked by Bolt at once)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.slack.ids import EventType
from bot.slack.listeners.context import Surface, publish_home


def register(app: App, surface: Surface) -> None:
    """Attach the Home tab listener."""

    @app.event(EventType.APP_HOME_OPENED.value)
    def handle_home_event(event: dict[str, Any]) -> None:
        handle_home_opened(surface, event)


def handle_home_opened(surface: Surface, event: dict[str, Any]) -> None:
    """Publish the Home tab; the Messages tab fires the same event and is left alone."""
    if event.get("tab", "home") != "home":
        return
    user_id = event.get("user")
    if not isinstance(user_id, str) or not user_id:
        return
    surface.after_ack("app home", lambda _reply: None, lambda: publish_home(surface, user_id))
