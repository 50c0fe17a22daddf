"""``qabot discord``: run the Discord worker (the Procfile's ``discord``, one per bot token)."""

from __future__ import annotations

import argparse
import dataclasses
import logging
from typing import Any


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "discord",
        help="run the Discord bot",
        description=(
            "Connect to Discord and answer /ask, /tip and @-mentions; post weekly tips to "
            "DISCORD_TIP_CHANNELS. Run exactly one process per bot token."
        ),
    )
    parser.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level (env LOG_LEVEL; default INFO)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here so `qabot --help` stays fast and settings fail before anything connects.
    from adapters.discord.connection import DiscordConnection
    from adapters.discord.settings import load_settings
    from bot import runtime

    core, settings = load_settings()  # every problem at once, before connecting
    if args.log_level:
        core = dataclasses.replace(core, log_level=args.log_level)
    # discord.py logs every gateway step at INFO; keep its warnings unless asked for more.
    logging.getLogger("discord").setLevel(args.log_level or logging.WARNING)
    return runtime.run(core, DiscordConnection(settings))
