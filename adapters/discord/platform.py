"""Discord as the core sees it: the ``qabot.platforms`` entry point (discord.py loads on use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.discord import cli
from adapters.discord.settings import DiscordSettings, read_settings, tip_channels
from bot.platforms import Platform

if TYPE_CHECKING:
    from bot.tips import TipPoster


def tip_poster(discord_settings: DiscordSettings) -> TipPoster:
    from adapters.discord.tips import DiscordTipPoster

    return DiscordTipPoster(discord_settings)


# bot.platforms.Platform(name, command, settings, tip_channels, tip_poster)
PLATFORM = Platform("discord", cli.register, read_settings, tip_channels, tip_poster)
