"""The sandbox's settings and lifecycle: pointed at its own parts, and gone when it stops."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.config import Settings
from bot.console.app import run_console
from bot.console.sandbox import (
    CONSOLE_POLL_INTERVAL,
    CONSOLE_STUCK_AFTER,
    console_settings,
    database_url,
)


def _console_settings(base: Settings) -> Settings:
    return console_settings(
        base,
        database_url="sqlite:///x.db",
        ecs_url="http://127.0.0.1:1",
        slack_api_url="http://127.0.0.1:2/api/",
    )


def test_the_sandbox_replaces_real_credentials_and_people() -> None:
    base = Settings(
        _env_file=None,
        ALIBABA_CLOUD_ACCESS_KEY_ID="LTAIreal",
        ALIBABA_CLOUD_ACCESS_KEY_SECRET="real-secret",
        SLACK_BOT_TOKEN="xoxb-real",
        ENIBOT_APPROVERS="U0SOMEONE",
        ENIBOT_REQUESTERS="U0ONLY",
    )
    settings = _console_settings(base)
    assert settings.access_key_id == base.sim_access_key_id
    assert settings.access_key_secret is not None
    assert settings.access_key_secret.get_secret_value() == "sim-access-secret"
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() != "xoxb-real"
    assert settings.approvers == ["U0LEAD", "U0LEAD2"]
    assert settings.requesters == []
    assert settings.ecs_endpoint == "http://127.0.0.1:1"
    assert settings.slack_api_url == "http://127.0.0.1:2/api/"


def test_short_timings_unless_the_person_chose_their_own() -> None:
    defaults = _console_settings(Settings(_env_file=None))
    assert defaults.poll_interval == CONSOLE_POLL_INTERVAL
    assert defaults.stuck_after == CONSOLE_STUCK_AFTER
    chosen = _console_settings(
        Settings(_env_file=None, ENIBOT_STUCK_AFTER="42", ENIBOT_POLL_INTERVAL="2")
    )
    assert chosen.stuck_after == 42
    assert chosen.poll_interval == 2


def test_db_is_a_url_a_path_or_a_temp_file(tmp_path: Path) -> None:
    assert database_url(None, tmp_path) == f"sqlite:///{tmp_path / 'console.db'}"
    assert database_url("postgresql://u@h/db", tmp_path) == "postgresql://u@h/db"
    assert database_url("state.db", tmp_path) == f"sqlite:///{Path('state.db').resolve()}"


@pytest.mark.parametrize("socket_mode", [False, True], ids=["http", "socket-mode"])
def test_every_thread_and_server_is_gone_after_the_console_returns(socket_mode: bool) -> None:
    before = {t.ident for t in threading.enumerate()}
    out = io.StringIO()
    code = run_console(
        Settings(_env_file=None),
        demo=False,
        db=None,
        stdin=io.StringIO("/eni list\n"),
        stdout=out,
        socket_mode=socket_mode,
    )
    assert code == 0, out.getvalue()
    left = [t.name for t in threading.enumerate() if t.ident not in before and t.is_alive()]
    assert left == []


def test_ctrl_c_stops_the_console_cleanly() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "console"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("/eni help\n")
    proc.stdin.flush()
    # The echo of the line means the sandbox is up and reading; stdin stays open.
    assert "/eni help" in proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0
    assert "Traceback" not in err
