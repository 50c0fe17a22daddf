"""``qabot discord``: run the Discord bot (the Procfile's ``discord`` worker, one per token)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal

import discord

from adapters.discord.client import create_bot
from bot.errors import BotError
from bot.metrics import serve_metrics
from bot.service import QABot
from bot.settings import CoreSettings, DiscordSettings, load_discord_settings

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    core, settings = load_discord_settings(os.environ)  # every problem at once, before connecting
    logging.getLogger().setLevel(args.log_level or core.log_level)
    logging.getLogger("discord").setLevel(logging.WARNING if not args.log_level else args.log_level)
    return asyncio.run(serve(core, settings))


async def serve(core: CoreSettings, settings: DiscordSettings) -> int:
    """Run until Discord disconnects for good or SIGTERM / SIGINT arrives."""
    qabot = await QABot.start(core)
    metrics = await serve_metrics(core.metrics_port) if core.metrics_port else None
    client = create_bot(qabot, settings)
    loop = asyncio.get_running_loop()
    signals = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        # Heroku sends SIGTERM on restarts: close the gateway session cleanly.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, lambda: asyncio.ensure_future(client.close()))
            signals.append(signum)
    try:
        async with client:
            await client.start(settings.token)
    except discord.LoginFailure:
        raise BotError(
            "Discord rejected DISCORD_TOKEN (401 Unauthorized): copy a fresh token from the "
            "Developer Portal's Bot page"
        ) from None
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
        await qabot.close()
        if metrics is not None:
            await metrics.cleanup()
    return 0
