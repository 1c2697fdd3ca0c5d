"""`run_console`: start the sandbox, then read lines from a person, a script or the demo.

A terminal gets a prompt; anything else is read as a script: each line is echoed, carried out,
and waited on until the bot is at rest, and the exit code says whether every line was understood
(0) or not (1). Workers and servers are stopped on EOF, `quit` and Ctrl-C alike.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import TextIO

from bot.config import Settings
from bot.console.output import Output
from bot.console.render import Renderer
from bot.console.sandbox import Sandbox
from bot.console.session import Session
from bot.console.users import console_workspace

__all__ = ["EXIT_FAILED_LINE", "EXIT_OK", "run_console"]

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED_LINE = 1

BANNER = [
    "eni-bot console: the real bot against a simulated Slack channel (#eni-ops) and a simulated",
    "Alibaba Cloud account. Type `help` for commands, `world` for IDs to try, `quit` to leave.",
]


def run_console(
    settings: Settings,
    *,
    demo: bool,
    db: str | None,
    stdin: TextIO,
    stdout: TextIO,
    socket_mode: bool = False,
) -> int:
    """Run the sandbox until EOF, `quit`, Ctrl-C or the end of the demo; returns the exit code."""
    interactive = not demo and _is_tty(stdin) and _is_tty(stdout)
    workspace = console_workspace()
    renderer = Renderer(stdout, names=workspace.users, channel_names=workspace.channels)
    output = Output()
    sandbox = Sandbox(settings, db=db, socket_mode=socket_mode)
    failed = False
    try:
        parts = sandbox.start(lambda call: output.put_event(lambda: renderer.slack_call(call)))
        session = Session(parts, renderer, output)
        if db is not None:
            session.note_earlier_requests()
        if demo:
            from bot.console.demo import play

            failed = not play(session)
        elif interactive:
            _interactive(session, stdin, stdout)
        else:
            failed = not _script(session, stdin)
    except KeyboardInterrupt:
        output.put(lambda: renderer.note("interrupted; stopping"))
    finally:
        try:
            output.flush()
        finally:
            sandbox.stop()
            output.close()
    return EXIT_FAILED_LINE if failed else EXIT_OK


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _script(session: Session, stdin: TextIO) -> bool:
    """Lines from a pipe or file; True when every line was understood and carried out."""
    ok = True
    for line in _lines(stdin):
        result = session.carry_out(line, echo=True)
        if result is None:
            break
        ok = ok and result
    return ok


def _interactive(session: Session, stdin: TextIO, stdout: TextIO) -> None:
    with contextlib.suppress(ImportError):  # no readline on Windows
        import readline  # noqa: F401 - importing it gives input() line editing and history
    session.interactive = True
    session.say(lambda r: r.lines(BANNER))
    session.help()
    session.output.flush()
    while True:
        prompt = f"@{session.user.handle}> "
        try:
            line = _read(prompt, stdin, stdout)
        except EOFError:
            stdout.write("\n")  # leave the shell's prompt on a line of its own
            return
        if session.carry_out(line, echo=False) is None:
            return


def _read(prompt: str, stdin: TextIO, stdout: TextIO) -> str:
    if stdin is sys.stdin and stdout is sys.stdout:
        # input() brings line editing and history when readline is available.
        return input(prompt)
    stdout.write(prompt)
    stdout.flush()
    line = stdin.readline()
    if not line:
        raise EOFError
    return line


def _lines(stdin: TextIO) -> Iterator[str]:
    while True:
        line = stdin.readline()
        if not line:
            return
        yield line
