"""configure_logging: JSON lines, text on a TTY, request context, idempotence."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from bot.observability.logs import NOISY_LOGGERS, configure_logging, request_context

log = logging.getLogger("bot.test.observability")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Put the root logger and the quieted libraries back as they were."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    noisy = {name: logging.getLogger(name).level for name in NOISY_LOGGERS}
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    for name, old in noisy.items():
        logging.getLogger(name).setLevel(old)


class Tty(io.StringIO):
    """A terminal, as far as configure_logging can tell."""

    def isatty(self) -> bool:
        return True


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_one_json_object_per_line_with_extras() -> None:
    out = io.StringIO()
    configure_logging("INFO", stream=out)
    log.debug("not shown at INFO")
    log.info("detach sent for %s", "eni-1", extra={"eni_id": "eni-1", "action": "detach"})
    log.warning("multi\nline")
    first, second = lines(out)
    assert set(first) == {"ts", "level", "logger", "msg", "eni_id", "action"}
    assert first["level"] == "INFO" and first["logger"] == "bot.test.observability"
    assert first["msg"] == "detach sent for eni-1"
    assert first["ts"].endswith("Z") and "T" in first["ts"]
    assert second["msg"] == "multi\nline"


def test_request_context_fields_are_on_every_line_inside_it() -> None:
    out = io.StringIO()
    configure_logging("INFO", json=True, stream=out)
    with request_context(request_id=42):
        log.info("claimed")
        with request_context(ecs_request_id="8E1B-ECS", eni_id=None):
            log.info("detach sent")
        log.info("explicit wins", extra={"request_id": 7})
    log.info("outside")
    claimed, sent, explicit, outside = lines(out)
    assert claimed["request_id"] == 42 and "ecs_request_id" not in claimed
    assert sent["request_id"] == 42 and sent["ecs_request_id"] == "8E1B-ECS"
    assert "eni_id" not in sent
    assert explicit["request_id"] == 7
    assert "request_id" not in outside


def test_context_does_not_leak_between_threads() -> None:
    out = io.StringIO()
    configure_logging("INFO", json=True, stream=out)
    inside = threading.Event()
    done = threading.Event()

    def other() -> None:
        inside.wait(5)
        log.info("from the other thread")
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with request_context(request_id=1):
        inside.set()
        done.wait(5)
    thread.join(5)
    (line,) = lines(out)
    assert "request_id" not in line


def test_text_on_a_tty() -> None:
    out = Tty()
    configure_logging("INFO", stream=out)
    with request_context(request_id=3):
        log.info("approved by %s", "U1", extra={"reason": "two words"})
    text = out.getvalue()
    assert text.count("\n") == 1
    assert "INFO" in text and "bot.test.observability: approved by U1" in text
    assert " request_id=3" in text and ' reason="two words"' in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_exceptions_are_included() -> None:
    out = io.StringIO()
    configure_logging("INFO", json=True, stream=out)
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("poll failed")
    (line,) = lines(out)
    assert line["msg"] == "poll failed"
    assert "ValueError: boom" in line["exc"] and "Traceback" in line["exc"]


def test_configuring_twice_replaces_the_handler_and_quiets_libraries() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("DEBUG", json=True, stream=first)
    configure_logging("INFO", json=True, stream=second)
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_eni_bot_handler", False)]
    assert len(ours) == 1
    log.info("once")
    assert first.getvalue() == "" and len(lines(second)) == 1
    for name in NOISY_LOGGERS:
        assert logging.getLogger(name).level == logging.WARNING
    logging.getLogger("urllib3.connectionpool").info("chatter")
    logging.getLogger("waitress").warning("worth seeing")
    assert [line["msg"] for line in lines(second)] == ["once", "worth seeing"]
