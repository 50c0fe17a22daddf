"""The ``qabot`` command line: one module per sub-command, each with ``register(subparsers)``.

Platform commands (``qabot slack``, ``qabot discord``) plug in through the ``qabot.commands``
entry-point group, so this package never imports an adapter.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from bot.cli import ask, bench, check, db, evaluate, report, tips
from bot.errors import BotError, UsageError

log = logging.getLogger(__name__)

CORE_COMMANDS = (ask, check, evaluate, bench, tips, report, db)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qabot", description="Answer course questions from webinar Q&A and FAQ files."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in CORE_COMMANDS:
        module.register(subparsers)
    for point in sorted(entry_points(group="qabot.commands"), key=lambda p: p.name):
        try:
            point.load()(subparsers)
        except ImportError as exc:  # an adapter whose dependency is missing
            log.debug("command %s unavailable: %s", point.name, exc)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(args, "log_level", None) or logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        status: int = args.func(args)
    except UsageError as exc:
        print(f"qabot {args.command}: {exc}", file=sys.stderr)
        return 2
    except BotError as exc:
        print(f"qabot {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return status
