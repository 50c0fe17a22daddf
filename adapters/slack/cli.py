"""``qabot slack [--http]``: run the Slack worker (Socket Mode by default, HTTP with --http)."""

from __future__ import annotations

import argparse
from typing import Any


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
    from adapters.slack.run import SlackConnection
    from adapters.slack.settings import load_settings
    from bot import runtime

    core, slack = load_settings(mode="http" if args.http else "socket")  # ConfigError: exit 1
    return runtime.run(core, SlackConnection(slack, http=args.http))
