"""`eni-bot`: the composition root. The only place that wires real parts together."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from bot.config import ConfigError, Settings, load_settings

EXIT_OK = 0
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad usage; exit 2 with the one-line message on stderr."""


def _not_built(name: str) -> Callable[[argparse.Namespace, Settings], int]:
    def run(args: argparse.Namespace, settings: Settings) -> int:
        print(f"eni-bot {name}: not built yet", file=sys.stderr)
        return EXIT_USAGE

    return run


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eni-bot", description="Slack chat-ops bot that detaches Alibaba Cloud ENIs."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", help="HTTP mode: /slack/events, /healthz, /readyz, /metrics")
    serve.add_argument("--host", default="0.0.0.0")  # noqa: S104 - a server is meant to listen
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--no-workers", action="store_true", help="serve Slack only")

    sub.add_parser("socket", help="Socket Mode (needs SLACK_APP_TOKEN), with the workers")
    sub.add_parser("worker", help="the background workers alone")

    console = sub.add_parser("console", help="local sandbox: no Slack, no cloud account needed")
    console.add_argument("--demo", action="store_true", help="play a guided tour and exit")
    console.add_argument("--db", help="SQLAlchemy URL or SQLite path (default: a temp file)")

    sim = sub.add_parser("ecs-sim", help="the ECS simulator as a standalone HTTP server")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=9000)
    sim.add_argument("--fixture", help="YAML/JSON world file (default: the demo world)")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply migrations up to head")
    return parser


def _commands() -> dict[str, Callable[[argparse.Namespace, Settings], int]]:
    return {
        "serve": _not_built("serve"),
        "socket": _not_built("socket"),
        "worker": _not_built("worker"),
        "console": _not_built("console"),
        "ecs-sim": _not_built("ecs-sim"),
        "db": _run_db,
    }


def _run_db(args: argparse.Namespace, settings: Settings) -> int:
    if args.db_command != "upgrade":
        raise UsageError("usage: eni-bot db upgrade")
    from bot import db

    db.upgrade(settings.database_url)
    print(f"database at head: {db.redacted_url(settings.database_url)}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `eni-bot` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        settings = load_settings()
        return _commands()[args.command](args, settings)
    except (ConfigError, UsageError) as exc:
        print(f"eni-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
