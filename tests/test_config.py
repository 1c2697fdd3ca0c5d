"""bot/config.py: CONTRACT.md's defaults, list parsing, one-line errors, hidden secrets, .env."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.regions import PUBLIC_REGIONS

SECRET_VARIABLES = {
    "SLACK_BOT_TOKEN": "xoxb-sentinel-bot-token",
    "SLACK_SIGNING_SECRET": "sentinel-signing-secret",
    "SLACK_APP_TOKEN": "xapp-sentinel-app-token",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "sentinel-access-key-secret",
    "ALIBABA_CLOUD_SECURITY_TOKEN": "sentinel-sts-token",
    "ENIBOT_SIM_ACCESS_KEY_SECRET": "sentinel-sim-secret",
}


def _set(monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


def test_defaults_match_the_contract_table() -> None:
    settings = load_settings()

    assert settings.slack_bot_token is None
    assert settings.slack_signing_secret is None
    assert settings.slack_app_token is None
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.access_key_id is None
    assert settings.access_key_secret is None
    assert settings.security_token is None
    assert settings.ecs_endpoint is None
    assert settings.database_url == "sqlite:///eni-bot.db"
    assert settings.approvers == []
    assert settings.requesters == []
    assert settings.required_approvals == 1
    assert settings.approval_ttl == 1800
    assert settings.default_region == "cn-hangzhou"
    assert settings.allowed_regions == list(PUBLIC_REGIONS)
    assert settings.incident_channel is None
    assert settings.poll_interval == 5
    assert settings.stuck_after == 300
    assert settings.outbox_retention_days == 30
    assert settings.sim_access_key_id == "sim-access-key"
    assert settings.sim_access_key_secret.get_secret_value() == "sim-access-secret"


def test_every_contract_variable_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    _set(
        monkeypatch,
        {
            **SECRET_VARIABLES,
            "ENIBOT_SLACK_API_URL": "http://127.0.0.1:8000/api",
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIexample",
            "ENIBOT_ECS_ENDPOINT": "http://127.0.0.1:9000/",
            "ENIBOT_DATABASE_URL": "postgresql+psycopg://bot@db/bot",
            "ENIBOT_APPROVERS": "U1",
            "ENIBOT_REQUESTERS": "W2",
            "ENIBOT_REQUIRED_APPROVALS": "2",
            "ENIBOT_APPROVAL_TTL": "60",
            "ENIBOT_DEFAULT_REGION": "us-west-1",
            "ENIBOT_ALLOWED_REGIONS": "us-west-1",
            "ENIBOT_INCIDENT_CHANNEL": "C123",
            "ENIBOT_POLL_INTERVAL": "0.5",
            "ENIBOT_STUCK_AFTER": "120",
            "ENIBOT_OUTBOX_RETENTION_DAYS": "7",
        },
    )
    settings = load_settings()

    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-sentinel-bot-token"
    assert settings.slack_signing_secret is not None
    assert settings.slack_app_token is not None
    assert settings.access_key_secret is not None
    assert settings.security_token is not None
    assert settings.slack_api_url == "http://127.0.0.1:8000/api/"
    assert settings.access_key_id == "LTAIexample"
    assert settings.ecs_endpoint == "http://127.0.0.1:9000"
    assert settings.database_url == "postgresql+psycopg://bot@db/bot"
    assert settings.approvers == ["U1"]
    assert settings.requesters == ["W2"]
    assert settings.required_approvals == 2
    assert settings.approval_ttl == 60
    assert settings.default_region == "us-west-1"
    assert settings.allowed_regions == ["us-west-1"]
    assert settings.incident_channel == "C123"
    assert settings.poll_interval == 0.5
    assert settings.stuck_after == 120
    assert settings.outbox_retention_days == 7


def test_id_and_region_lists_are_comma_separated_with_spaces_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _set(
        monkeypatch,
        {
            "ENIBOT_APPROVERS": "U01ABC, W02DEF ,S03GHI,",
            "ENIBOT_REQUESTERS": " UAAA ",
            "ENIBOT_ALLOWED_REGIONS": "cn-hangzhou , eu-central-1",
        },
    )
    settings = load_settings()

    assert settings.approvers == ["U01ABC", "W02DEF", "S03GHI"]
    assert settings.requesters == ["UAAA"]
    assert settings.allowed_regions == ["cn-hangzhou", "eu-central-1"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ENIBOT_POLL_INTERVAL", "-1"),
        ("ENIBOT_POLL_INTERVAL", "0"),
        ("ENIBOT_POLL_INTERVAL", "soon"),
        ("ENIBOT_APPROVAL_TTL", "0"),
        ("ENIBOT_STUCK_AFTER", "-5"),
        ("ENIBOT_REQUIRED_APPROVALS", "0"),
        ("ENIBOT_REQUIRED_APPROVALS", "two"),
        ("ENIBOT_APPROVERS", "alice,bob"),
        ("ENIBOT_REQUESTERS", "U1,#ops"),
        ("ENIBOT_ALLOWED_REGIONS", "Hangzhou"),
        ("ENIBOT_DEFAULT_REGION", "hangzhou"),
        ("ENIBOT_ECS_ENDPOINT", "ecs.cn-hangzhou.aliyuncs.com"),
        ("ENIBOT_SLACK_API_URL", "slack.com/api"),
        ("ENIBOT_AUTO_MIGRATE", "perhaps"),
        ("ENIBOT_OUTBOX_RETENTION_DAYS", "0"),
    ],
)
def test_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert variable in message
    assert "\n" not in message
    assert message.strip() == message != ""


def test_error_message_never_shows_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    _set(monkeypatch, {**SECRET_VARIABLES, "ENIBOT_POLL_INTERVAL": "-1"})
    with pytest.raises(ConfigError) as caught:
        load_settings()
    shown = f"{caught.value} {caught.value!r}"
    for secret in SECRET_VARIABLES.values():
        assert secret not in shown


def test_repr_and_dump_never_show_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    _set(monkeypatch, SECRET_VARIABLES)
    settings = load_settings()
    shown = f"{settings!r} {settings} {settings.model_dump()} {settings.model_dump_json()}"
    for secret in SECRET_VARIABLES.values():
        assert secret not in shown


def test_dotenv_in_the_working_directory_is_read(tmp_path: Path) -> None:
    assert Path.cwd() == tmp_path
    (tmp_path / ".env").write_text(
        "ENIBOT_POLL_INTERVAL=2.5\nENIBOT_APPROVERS=U1,U2\nSLACK_BOT_TOKEN=xoxb-from-dotenv\n"
    )
    settings = load_settings()

    assert settings.poll_interval == 2.5
    assert settings.approvers == ["U1", "U2"]
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-from-dotenv"


def test_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("ENIBOT_POLL_INTERVAL=2.5\n")
    monkeypatch.setenv("ENIBOT_POLL_INTERVAL", "7")
    assert load_settings().poll_interval == 7


def test_bad_value_in_dotenv_names_the_variable(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ENIBOT_REQUIRED_APPROVALS=0\n")
    with pytest.raises(ConfigError, match="ENIBOT_REQUIRED_APPROVALS"):
        load_settings()


def test_unrelated_dotenv_lines_are_ignored(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DJANGO_DEBUG=1\nPATHS=/x\n")
    assert isinstance(load_settings(), Settings)


@pytest.mark.parametrize(
    "variable", ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "ENIBOT_APPROVERS"]
)
def test_require_names_the_missing_variable(variable: str) -> None:
    settings = load_settings()
    with pytest.raises(ConfigError, match=variable):
        settings.require(variable)


def test_require_passes_when_everything_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    _set(monkeypatch, {**SECRET_VARIABLES, "ENIBOT_APPROVERS": "U1"})
    load_settings().require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "ENIBOT_APPROVERS")


def test_require_refuses_a_default_region_outside_the_allowed_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _set(monkeypatch, {"ENIBOT_ALLOWED_REGIONS": "us-west-1"})
    with pytest.raises(ConfigError, match="ENIBOT_DEFAULT_REGION"):
        load_settings().require()
