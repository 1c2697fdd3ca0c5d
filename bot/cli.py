"""`eni-bot`: the composition root. The only place that wires real parts together.

The builders it calls live in `bot.bootstrap` (kept apart so this file stays the command line);
each command builds the runtime, the Bolt app and the workers it needs, then runs them.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence
from types import FrameType
from typing import NoReturn
from urllib.error import URLError

from slack_bolt.error import BoltError

from bot.config import ConfigError, Settings, load_settings
from bot.policy import ApprovalPolicy, PolicyError, load_policy, summary

EXIT_OK = 0
EXIT_USAGE = 2


# CONTRACT.md: required for serve, socket and worker (the token is optional, for STS).
_CLOUD_KEYS = ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET")


class UsageError(Exception):
    """Bad usage; exit 2 with the one-line message on stderr."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 2 (CONTRACT.md)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _port(text: str) -> int:
    """A TCP port number, 0 (any free port) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port {text!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is outside 0-65535")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="eni-bot", description="Slack chat-ops bot that detaches Alibaba Cloud ENIs."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", help="HTTP mode: /slack/events, /healthz, /readyz, /metrics")
    serve.add_argument("--host", default="0.0.0.0")  # noqa: S104 - a server is meant to listen
    serve.add_argument("--port", type=_port, default=3000)
    serve.add_argument("--no-workers", action="store_true", help="serve Slack only")

    sub.add_parser("socket", help="Socket Mode (needs SLACK_APP_TOKEN), with the workers")
    sub.add_parser("worker", help="the background workers alone")

    console = sub.add_parser("console", help="local sandbox: no Slack, no cloud account needed")
    console.add_argument("--demo", action="store_true", help="play a guided tour and exit")
    console.add_argument("--db", help="SQLAlchemy URL or SQLite path (default: a temp file)")
    console.add_argument(
        "--socket-mode", action="store_true", help="connect the bot over Socket Mode, not HTTP"
    )

    sim = sub.add_parser("ecs-sim", help="the ECS simulator as a standalone HTTP server")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=_port, default=9000)
    sim.add_argument("--fixture", help="YAML/JSON world file (default: the demo world)")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply migrations up to head")

    policy = sub.add_parser("policy", help="the approval policy file")
    policy_sub = policy.add_subparsers(dest="policy_command", metavar="ACTION")
    check = policy_sub.add_parser("check", help="validate a policy file; exit 2 on any problem")
    check.add_argument("file", nargs="?", help="the file (default: ENIBOT_POLICY_FILE)")
    return parser


def _commands() -> dict[str, Callable[[argparse.Namespace, Settings], int]]:
    return {
        "serve": _run_serve,
        "socket": _run_socket,
        "worker": _run_worker,
        "console": _run_console,
        "ecs-sim": _run_ecs_sim,
        "db": _run_db,
        "policy": _run_policy,
    }


def _sigterm_as_interrupt() -> None:
    """SIGTERM (what orchestrators send) stops a server the same way Ctrl-C does."""

    def raise_interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, raise_interrupt)


def _run_serve(args: argparse.Namespace, settings: Settings) -> int:
    settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "ENIBOT_APPROVERS", *_CLOUD_KEYS)
    approval = _approval_policy(settings)
    from bot.bootstrap import build_app, build_runtime, build_workers
    from bot.slack.server import serve_http

    _logging(settings)
    runtime = build_runtime(settings, approval=approval)
    workers = None if args.no_workers else build_workers(runtime)
    _sigterm_as_interrupt()
    try:
        # Workers start once the port is bound and Slack accepted the token (app built).
        serve_http(
            runtime,
            build_app(runtime),
            args.host,
            args.port,
            on_ready=(lambda _server: workers.start()) if workers is not None else None,
        )
    except URLError:
        raise
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {reason}") from None
    finally:
        if workers is not None:
            workers.stop()
        runtime.close()
    return EXIT_OK


def _run_socket(args: argparse.Namespace, settings: Settings) -> int:
    settings.require("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "ENIBOT_APPROVERS", *_CLOUD_KEYS)
    approval = _approval_policy(settings)
    from bot.bootstrap import build_app, build_runtime, build_workers
    from bot.slack.socket import serve_socket

    _logging(settings)
    runtime = build_runtime(settings, approval=approval)
    workers = build_workers(runtime)
    _sigterm_as_interrupt()
    try:
        # Workers start once Slack accepted both tokens (app built, first connection open).
        serve_socket(runtime, build_app(runtime), on_ready=workers.start)
    finally:
        workers.stop()
        runtime.close()
    return EXIT_OK


def _run_worker(args: argparse.Namespace, settings: Settings) -> int:
    settings.require("SLACK_BOT_TOKEN", *_CLOUD_KEYS)
    approval = _approval_policy(settings)
    from bot.bootstrap import build_runtime, build_workers
    from bot.workers.runner import run_workers

    _logging(settings)
    runtime = build_runtime(settings, approval=approval)
    try:
        run_workers(build_workers(runtime))
    finally:
        runtime.close()
    return EXIT_OK


def _run_console(args: argparse.Namespace, settings: Settings) -> int:
    settings.require()
    from bot.console.app import run_console
    from bot.observability.logs import configure_logging, secrets_from

    # The terminal is the console's own output; only warnings and errors go to stderr.
    configure_logging("WARNING", secrets=secrets_from(settings))
    return run_console(
        settings,
        demo=args.demo,
        db=args.db,
        stdin=sys.stdin,
        stdout=sys.stdout,
        socket_mode=args.socket_mode,
    )


def _run_ecs_sim(args: argparse.Namespace, settings: Settings) -> int:
    from bot.sim.ecs.fixture import FixtureError
    from bot.sim.ecs.serve import serve

    _logging(settings)
    keys = {settings.sim_access_key_id: settings.sim_access_key_secret.get_secret_value()}
    try:
        serve(args.host, args.port, args.fixture, keys)
    except FixtureError as exc:
        raise UsageError(f"--fixture: {_one_line(str(exc))}") from None
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    return EXIT_OK


def _run_db(args: argparse.Namespace, settings: Settings) -> int:
    if args.db_command != "upgrade":
        raise UsageError("usage: eni-bot db upgrade")
    from bot import db

    settings.require()
    try:
        db.upgrade(settings.database_url)
    except Exception as exc:
        raise UsageError(
            f"ENIBOT_DATABASE_URL: cannot migrate {db.redacted_url(settings.database_url)}"
            f" ({type(exc).__name__})"
        ) from None
    print(f"database at head: {db.redacted_url(settings.database_url)}")
    return EXIT_OK


def _approval_policy(settings: Settings) -> ApprovalPolicy:
    """The policy, read and checked before anything starts (PolicyError: exit 2, its lines)."""
    from bot.bootstrap import approval_policy

    return approval_policy(settings)


def _run_policy(args: argparse.Namespace, settings: Settings) -> int:
    if args.policy_command != "check":
        raise UsageError("usage: eni-bot policy check [FILE]")
    path = args.file if args.file is not None else settings.policy_file
    if path is None:
        raise UsageError("policy check: name a FILE or set ENIBOT_POLICY_FILE")
    policy = load_policy(path, default_approvers=settings.approvers)
    print(f"{path}: {summary(policy)}, OK")
    return EXIT_OK


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _logging(settings: Settings) -> None:
    from bot.observability.logs import configure_logging, secrets_from

    configure_logging(settings.log_level, secrets=secrets_from(settings))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `eni-bot` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        print(
            "eni-bot: name a command: serve, socket, worker, console, ecs-sim, db upgrade or"
            " policy check"
            " (see eni-bot --help)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        settings = load_settings()
        return _commands()[args.command](args, settings)
    except (ConfigError, UsageError) as exc:
        print(f"eni-bot: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except PolicyError as exc:
        # One line per problem, each naming the file (and line): the same for `policy check`
        # and for a command refusing to start.
        for line in exc.lines():
            print(line, file=sys.stderr)
        return EXIT_USAGE
    except URLError as exc:
        print(
            f"eni-bot: cannot reach Slack at ENIBOT_SLACK_API_URL ({_one_line(str(exc.reason))})",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except BoltError as exc:
        # Bolt checks SLACK_BOT_TOKEN with auth.test when the app is built.
        print(
            f"eni-bot: SLACK_BOT_TOKEN: Slack refused it ({_one_line(str(exc))})", file=sys.stderr
        )
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
