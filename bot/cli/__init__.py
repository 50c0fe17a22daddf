"""The ``qabot`` command line: one module per sub-command, each with ``register(subparsers)``.

Each platform adds its own command (``qabot <name>``) through the ``qabot.platforms``
entry-point group (``bot.platforms``), so this package never imports an adapter.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from dotenv import load_dotenv

from bot import platforms
from bot.cli import ask, bench, check, db, digest, evaluate, learn, reload, report, tips
from bot.errors import BotError, UsageError

log = logging.getLogger(__name__)

CORE_COMMANDS = (ask, check, evaluate, bench, tips, digest, report, learn, db, reload)


def build_parser() -> argparse.ArgumentParser:
    """The full parser; platforms load their chat library only when their command runs."""
    parser = argparse.ArgumentParser(
        prog="qabot", description="Answer course questions from webinar Q&A and FAQ files."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in CORE_COMMANDS:
        module.register(subparsers)
    for platform in platforms.load_all():
        platform.command(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    _load_dotenv()
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
    except BrokenPipeError:
        # The reader went away (`| head`): not worth a traceback. Python's documented recipe:
        # point stdout at /dev/null so the flush at exit does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a shell reports a pipe writer stopped by SIGPIPE
    return status


def _load_dotenv() -> None:
    """Settings from ``.env`` in the working directory; variables already set win."""
    try:
        load_dotenv(Path.cwd() / ".env", override=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"qabot: .env not read: {exc}", file=sys.stderr)
