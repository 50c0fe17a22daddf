"""Point discord.py at the configured REST base and gateway (proxies, local fakes in tests)."""

from __future__ import annotations

import discord.gateway
import discord.http
import yarl

from bot.settings import DiscordSettings

NONE = discord.AllowedMentions.none()  # nothing the bot sends may ping anyone


def use_endpoints(settings: DiscordSettings) -> None:
    """Apply DISCORD_API_URL and DISCORD_GATEWAY_URL process-wide (one bot per process)."""
    discord.http.Route.BASE = settings.api_url.rstrip("/")
    if settings.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)
