"""Settings: every variable in CONTRACT.md, validated once at start.

Tokens are `SecretStr` so that a repr, a log line or an exception never shows them. Which
variables are required depends on the command (`serve` needs the signing secret, `socket` the
app token, the console none), so presence is checked by `Settings.require`, not by the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from bot.regions import PUBLIC_REGIONS, is_region_id

_SLACK_ID_PREFIXES = ("U", "W", "S")


class ConfigError(Exception):
    """Bad configuration; the message is one line that names the variable and the fix."""


def _split_csv(value: Any) -> Any:
    """Accept `A,B , C` (what people type in an env file) as well as a real list."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _env(name: str) -> Any:
    # validation_alias makes pydantic name the environment variable in its errors.
    return Field(validation_alias=AliasChoices(name))


class Settings(BaseSettings):
    """The bot's configuration, read from the environment and an optional `.env` file."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=True,
        populate_by_name=True,
    )

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(
        default="https://slack.com/api/", validation_alias="ENIBOT_SLACK_API_URL"
    )

    access_key_id: str | None = Field(default=None, validation_alias="ALIBABA_CLOUD_ACCESS_KEY_ID")
    access_key_secret: SecretStr | None = Field(
        default=None, validation_alias="ALIBABA_CLOUD_ACCESS_KEY_SECRET"
    )
    security_token: SecretStr | None = Field(
        default=None, validation_alias="ALIBABA_CLOUD_SECURITY_TOKEN"
    )
    ecs_endpoint: str | None = Field(default=None, validation_alias="ENIBOT_ECS_ENDPOINT")

    database_url: str = Field(
        default="sqlite:///eni-bot.db", validation_alias="ENIBOT_DATABASE_URL"
    )
    auto_migrate: bool = Field(default=True, validation_alias="ENIBOT_AUTO_MIGRATE")

    approvers: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="ENIBOT_APPROVERS"
    )
    requesters: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="ENIBOT_REQUESTERS"
    )
    required_approvals: int = Field(
        default=1, ge=1, le=10, validation_alias="ENIBOT_REQUIRED_APPROVALS"
    )
    approval_ttl: float = Field(
        default=1800.0,
        gt=0,
        le=7 * 86400,
        allow_inf_nan=False,
        validation_alias="ENIBOT_APPROVAL_TTL",
    )
    default_region: str = Field(default="cn-hangzhou", validation_alias="ENIBOT_DEFAULT_REGION")
    allowed_regions: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(PUBLIC_REGIONS), validation_alias="ENIBOT_ALLOWED_REGIONS"
    )
    incident_channel: str | None = Field(default=None, validation_alias="ENIBOT_INCIDENT_CHANNEL")
    # Read (and checked) once at start by the commands that need it: bot.bootstrap.approval_policy.
    policy_file: Path | None = Field(default=None, validation_alias="ENIBOT_POLICY_FILE")
    poll_interval: float = Field(
        default=5.0, gt=0, le=3600, validation_alias="ENIBOT_POLL_INTERVAL"
    )
    stuck_after: float = Field(
        default=300.0, gt=0, le=86400, allow_inf_nan=False, validation_alias="ENIBOT_STUCK_AFTER"
    )
    max_enis_per_request: int = Field(
        default=100, ge=1, le=1000, validation_alias="ENIBOT_MAX_ENIS_PER_REQUEST"
    )
    bulk_concurrency: int = Field(
        default=10, ge=1, le=100, validation_alias="ENIBOT_BULK_CONCURRENCY"
    )
    bulk_max_failures: int = Field(
        default=0, ge=0, le=1000, validation_alias="ENIBOT_BULK_MAX_FAILURES"
    )
    outbox_retention_days: float = Field(
        default=30.0,
        ge=1,
        le=3650,
        allow_inf_nan=False,
        validation_alias="ENIBOT_OUTBOX_RETENTION_DAYS",
    )

    sim_access_key_id: str = Field(
        default="sim-access-key", validation_alias="ENIBOT_SIM_ACCESS_KEY_ID"
    )
    sim_access_key_secret: SecretStr = Field(
        default=SecretStr("sim-access-secret"), validation_alias="ENIBOT_SIM_ACCESS_KEY_SECRET"
    )
    log_level: str = Field(default="INFO", validation_alias="ENIBOT_LOG_LEVEL")

    @field_validator("approvers", "requesters", mode="before")
    @classmethod
    def _parse_ids(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("approvers", "requesters")
    @classmethod
    def _check_ids(cls, value: list[str]) -> list[str]:
        for item in value:
            if not (item[:1] in _SLACK_ID_PREFIXES and item[1:].isalnum() and item.isupper()):
                raise ValueError(
                    f"{item!r} is not a Slack user ID (U…/W…) or user group ID (S…); "
                    "use IDs, not names"
                )
        return value

    @field_validator("allowed_regions", mode="before")
    @classmethod
    def _parse_regions(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("allowed_regions")
    @classmethod
    def _check_regions(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must name at least one region ID, e.g. cn-hangzhou")
        for item in value:
            if not is_region_id(item):
                raise ValueError(f"{item!r} is not a region ID (like cn-hangzhou)")
        return value

    @field_validator("default_region")
    @classmethod
    def _check_default_region(cls, value: str) -> str:
        if not is_region_id(value):
            raise ValueError(f"{value!r} is not a region ID (like cn-hangzhou)")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _check_slack_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("ecs_endpoint")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be a base URL with scheme, e.g. http://127.0.0.1:9000")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        try:
            make_url(value)
        except ArgumentError:
            raise ValueError(
                "is not a SQLAlchemy URL; use e.g. sqlite:///eni-bot.db or "
                "postgresql+psycopg://user:password@host/db"
            ) from None
        return value

    @field_validator("policy_file", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        # `ENIBOT_POLICY_FILE=` in an env file means "no file", not the current directory.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    def require(self, *names: str) -> None:
        """Raise ConfigError naming the first required variable that is unset."""
        for name in names:
            field = _FIELD_BY_ENV[name]
            value = getattr(self, field)
            if value is None or (isinstance(value, SecretStr) and not value.get_secret_value()):
                raise ConfigError(f"{name} is not set; it is required for this command")
        if "ENIBOT_APPROVERS" in names and not self.approvers:
            raise ConfigError(
                "ENIBOT_APPROVERS is empty; set it to the Slack user or group IDs who may approve"
            )
        if self.default_region not in self.allowed_regions:
            raise ConfigError(
                f"ENIBOT_DEFAULT_REGION {self.default_region!r} is not in ENIBOT_ALLOWED_REGIONS"
            )


def _env_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for field_name, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, str):
            names[alias] = field_name
    return names


_FIELD_BY_ENV = _env_names()


def load_settings(**overrides: Any) -> Settings:
    """Read settings; bad values become one ConfigError line, never a traceback."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(part) for part in err["loc"]) or "configuration"
        got = err.get("input")
        shown = "" if _is_secret_name(where) or isinstance(got, dict) else f" (got {got!r})"
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{where}: {msg}{shown}") from None


def _is_secret_name(name: str) -> bool:
    return any(word in name.upper() for word in ("SECRET", "TOKEN", "DATABASE_URL"))
