"""No secret reaches a log line: known values and token shapes, wherever they hide in a record."""

from __future__ import annotations

import io
import logging

import pytest
from test_logs_output import Tty, lines, restore_logging

from bot.config import load_settings
from bot.observability.logs import configure_logging, secrets_from
from bot.observability.redact import MASK, Redactor

__all__ = ["restore_logging"]  # the fixture, re-used from the output tests

log = logging.getLogger("bot.test.redaction")

# Known values, as an operator would configure them (none has a tell-tale shape, except tokens).
SIGNING_SECRET = "8f14e45fceea167a5a36dedd4bea2543"
BOT_TOKEN = "xoxb-1111-2222-KnownBotToken"
APP_TOKEN = "xapp-1-A0-3333-KnownAppToken"
AK_SECRET = "Kn0wnAkSecret/With+Odd=Chars"
STS_TOKEN = "CAISknownSTStokenValue000111"
SIM_SECRET = "sim-known-secret-value"
DB_PASSWORD = "hunter2-db-password"
KNOWN = [SIGNING_SECRET, BOT_TOKEN, APP_TOKEN, AK_SECRET, STS_TOKEN, SIM_SECRET, DB_PASSWORD]

# Secrets the settings do not hold, caught by shape: (text to log, the part that must vanish).
SHAPES = [
    ("user token xoxp-9999-8888-UnknownUserToken", "UnknownUserToken"),
    ("refresh xoxe.xoxp-1-UnknownRefresh", "UnknownRefresh"),
    ("app token xapp-1-A9-UnknownAppToken", "UnknownAppToken"),
    ("Authorization: Bearer opaque-bearer-value", "opaque-bearer-value"),
    (
        "{'authorization': 'ACS3-HMAC-SHA256 Credential=LTAIkey,SignedHeaders=host,"
        "Signature=0a1b2c3d4e5f'}",
        "0a1b2c3d4e5f",
    ),
    ("ACS3-HMAC-SHA256 Credential=LTAIkey,Signature=deadbeefcafe", "deadbeefcafe"),
    ("GET /?Action=X&Signature=AbC%2Bdef%3D&Timestamp=1", "AbC%2Bdef%3D"),
    ("headers x-acs-security-token: UnknownStsValue123", "UnknownStsValue123"),
    ('{"x-acs-security-token": "UnknownStsJson456"}', "UnknownStsJson456"),
    ("x-slack-signature: v0=" + "ab" * 32, "ab" * 16),
    ("form token=UnknownVerificationToken&team_id=T1", "UnknownVerificationToken"),
]


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """secrets_from() over settings that hold every known value."""
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIknownKeyId")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", AK_SECRET)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", STS_TOKEN)
    monkeypatch.setenv("ENIBOT_SIM_ACCESS_KEY_SECRET", SIM_SECRET)
    monkeypatch.setenv(
        "ENIBOT_DATABASE_URL", f"postgresql://bot:{DB_PASSWORD}@db.internal:5432/bot"
    )
    return secrets_from(load_settings())


@pytest.fixture
def out(secrets: list[str]) -> io.StringIO:
    stream = io.StringIO()
    configure_logging("DEBUG", json=True, secrets=secrets, stream=stream)
    return stream


def assert_clean(text: str, forbidden: list[str]) -> None:
    for value in forbidden:
        assert value not in text, f"{value[:6]}… leaked"


def test_secrets_from_collects_every_secret_setting(secrets: list[str]) -> None:
    assert sorted(secrets) == sorted(KNOWN)
    assert "LTAIknownKeyId" not in secrets  # the key ID is not a secret (CONTRACT)


@pytest.mark.parametrize("secret", KNOWN)
def test_known_values_vanish_from_message_args_extras_and_tracebacks(
    out: io.StringIO, secret: str
) -> None:
    log.info("in the message %s", secret)
    log.info("in the args %s and %r", secret, {"nested": [secret]})
    log.info("in extras", extra={"detail": f"x {secret} y", "body": {"k": [1, secret]}})
    try:
        raise RuntimeError(f"failed with {secret}")
    except RuntimeError:
        log.exception("in a traceback")
    log.info("in a stack", stack_info=True, extra={"value": secret})
    text = out.getvalue()
    assert_clean(text, [secret])
    records = lines(out)
    assert len(records) == 5 and all(MASK in str(r) for r in records)


def test_url_encoded_known_values_vanish(out: io.StringIO) -> None:
    log.info("query AccessKeySecret=Kn0wnAkSecret%2FWith%2BOdd%3DChars&x=1")
    log.info("path /Kn0wnAkSecret/With%2BOdd%3DChars")
    assert "Kn0wnAkSecret" not in out.getvalue()


@pytest.mark.parametrize(("text", "secret"), SHAPES)
def test_secret_shapes_vanish_everywhere(out: io.StringIO, text: str, secret: str) -> None:
    log.warning(text)
    log.warning("args: %s", text)
    log.warning("extra", extra={"http": text, "headers": {"Authorization": "Bearer abc123zz"}})
    try:
        raise ValueError(text)
    except ValueError:
        log.exception("exception")
    assert_clean(out.getvalue(), [secret, "abc123zz"])


def test_fields_named_like_secrets_are_masked_whatever_their_value(out: io.StringIO) -> None:
    log.info("x", extra={"token": "plainvalue1", "client_secret": "plainvalue2"})
    log.info("y", extra={"req": {"headers": {"X-Slack-Signature": "plainvalue3"}}})
    assert_clean(out.getvalue(), ["plainvalue1", "plainvalue2", "plainvalue3"])


def test_ordinary_fields_are_kept(out: io.StringIO) -> None:
    log.info(
        "detach sent",
        extra={"request_id": 12, "ecs_request_id": "8E1B2C3D-ECS", "eni_id": "eni-bp1abc"},
    )
    (line,) = lines(out)
    assert line["msg"] == "detach sent"
    assert (line["request_id"], line["ecs_request_id"], line["eni_id"]) == (
        12,
        "8E1B2C3D-ECS",
        "eni-bp1abc",
    )


def test_text_mode_is_redacted_too(secrets: list[str]) -> None:
    stream = Tty()
    configure_logging("INFO", secrets=secrets, stream=stream)
    log.info("token %s and %s", BOT_TOKEN, AK_SECRET, extra={"detail": STS_TOKEN})
    try:
        raise RuntimeError(SIGNING_SECRET)
    except RuntimeError:
        log.exception("boom")
    assert_clean(stream.getvalue(), KNOWN)
    assert MASK in stream.getvalue()


def test_redactor_repr_hides_its_secrets() -> None:
    assert "hunter2" not in repr(Redactor(["hunter2-db-password"]))


def test_short_values_are_not_treated_as_secrets() -> None:
    # A 1-3 character "secret" would mask ordinary words in every line.
    assert Redactor(["a", "ab"]).redact("a cab") == "a cab"
