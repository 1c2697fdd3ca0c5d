"""Socket Mode: the handler is built on the same app and WebClient, and needs SLACK_APP_TOKEN."""

from __future__ import annotations

import pytest
from slack_harness import Harness, HarnessFactory

from bot.config import ConfigError
from bot.slack.socket import socket_handler


def test_socket_mode_needs_the_app_token(harness: Harness) -> None:
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        socket_handler(harness.runtime, app=harness.server.app)


def test_socket_handler_uses_the_runtime_client(make_harness: HarnessFactory) -> None:
    harness = make_harness(slack_app_token="xapp-1-test")
    handler = socket_handler(harness.runtime, app=harness.server.app)
    assert handler.app is harness.server.app
    assert handler.client.web_client is harness.runtime.slack
    assert "xapp-1-test" not in repr(handler.app)
