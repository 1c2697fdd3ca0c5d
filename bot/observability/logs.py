"""Logging for the bot: one JSON object per line (text on a TTY), context fields, no secrets.

`configure_logging` installs one handler on the root logger. Its filters run before any
formatting: the first adds the `request_context` fields, the second redacts the message, its
arguments, extra fields, traceback and stack (see `redact`). Calling it again replaces the
handler, so a CLI and a test can both call it.
"""

from __future__ import annotations

import json as jsonlib
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

from bot.observability.context import current_context, request_context
from bot.observability.redact import MASK, Redactor, is_secret_key, secrets_from

__all__ = [
    "JsonFormatter",
    "TextFormatter",
    "configure_logging",
    "current_context",
    "request_context",
    "secrets_from",
]

NOISY_LOGGERS = ("waitress", "urllib3", "httpx", "httpcore")
_HANDLER_MARK = "_eni_bot_handler"
# Attributes every LogRecord has; anything else on a record came from `extra` or the context.
_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "taskName"}
)
_RESERVED = frozenset({"ts", "level", "logger", "msg", "exc", "stack"})


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """Extra and context fields of a record, in a stable order."""
    return {
        key: value
        for key, value in record.__dict__.items()
        if key not in _STANDARD and not key.startswith("_") and key not in _RESERVED
    }


class ContextFilter(logging.Filter):
    """Copies the `request_context` fields onto the record (explicit extras win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in current_context().items():
            if key not in record.__dict__:
                setattr(record, key, value)
        return True


class RedactingFilter(logging.Filter):
    """Redacts the record in place, so every formatter after it sees no secret."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        redact = self._redactor.redact
        try:
            message = record.getMessage()
        except Exception:
            # A bad format string still gets logged, as its parts.
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in _fields(record).items():
            masked = MASK if is_secret_key(key) else self._redactor.redact_value(value)
            setattr(record, key, masked)
        return True


def _timestamp(record: logging.LogRecord) -> str:
    at = datetime.fromtimestamp(record.created, UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts, level, logger, msg, then context and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update(_fields(record))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return jsonlib.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: msg key=value …` for people reading a terminal."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created).strftime("%H:%M:%S.%f")[:-3]
        parts = [f"{at} {record.levelname:<7} {record.name}: {record.getMessage()}"]
        parts += [f"{key}={_shown(value)}" for key, value in _fields(record).items()]
        text = " ".join(parts)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            text += "\n" + record.exc_text
        if record.stack_info:
            text += "\n" + record.stack_info
        # Text has no structure to break, so one last pass costs nothing and catches stragglers.
        return self._redactor.redact(text)


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else jsonlib.dumps(value, default=str)
    return text if text and not any(c.isspace() for c in text) else jsonlib.dumps(text)


def configure_logging(
    level: str,
    *,
    json: bool | None = None,
    secrets: Iterable[str] = (),
    stream: IO[str] | None = None,
) -> logging.Handler:
    """Install (or replace) the bot's root handler; `json` None means JSON unless on a TTY."""
    out = stream if stream is not None else sys.stderr
    if json is None:
        json = not _is_tty(out)
    redactor = Redactor(secrets)
    handler = logging.StreamHandler(out)
    setattr(handler, _HANDLER_MARK, True)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter(redactor))
    handler.setFormatter(JsonFormatter() if json else TextFormatter(redactor))

    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    numeric = logging.getLevelName(level.upper())
    root.setLevel(numeric if isinstance(numeric, int) else logging.INFO)
    # Records skip ancestors' levels on the way to the root handler, so these loggers need
    # their own threshold, at least WARNING.
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    return handler


def _is_tty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
