"""``qabot slack [--http]``: run the Slack bot (Socket Mode by default, HTTP mode with --http)."""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "slack",
        help="run the Slack bot",
        description=(
            "Run the Slack bot. Socket Mode (needs SLACK_APP_TOKEN) by default; with --http, "
            "serve /slack/events, /healthz and /metrics on $PORT (needs SLACK_SIGNING_SECRET)."
        ),
    )
    parser.add_argument(
        "--http",
        action="store_true",
        help="receive Slack's requests over HTTP on $PORT instead of Socket Mode",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here so `qabot --help` stays fast and settings fail before anything connects.
    from adapters.slack.run import serve
    from bot.settings import load_slack_settings

    core, slack = load_slack_settings(mode="http" if args.http else "socket")  # ConfigError: exit 1
    logging.getLogger().setLevel(core.log_level)
    asyncio.run(serve(core, slack, http=args.http))
    return 0
