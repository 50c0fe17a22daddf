"""discord.py set up for this bot: endpoints (proxies, local fakes in tests), no voice, login."""

from __future__ import annotations

import discord
import discord.gateway
import discord.http
import yarl

from adapters.discord.settings import DiscordSettings
from bot.errors import BotError

NONE = discord.AllowedMentions.none()  # nothing the bot sends may ping anyone


def use_endpoints(settings: DiscordSettings) -> None:
    """Apply DISCORD_API_URL and DISCORD_GATEWAY_URL process-wide (one bot per process)."""
    discord.http.Route.BASE = settings.api_url.rstrip("/")
    if settings.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)
    # The bot never joins voice: discord.py's one-time "PyNaCl / davey is not installed, voice
    # will NOT be supported" warnings are noise here. These flags are what it checks.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


async def login(client: discord.Client, token: str) -> None:
    """Log in over REST; a rejected token becomes a clear BotError."""
    try:
        await client.login(token)
    except discord.LoginFailure:
        await client.close()
        raise BotError(
            "Discord rejected DISCORD_TOKEN (401 Unauthorized): copy a fresh token from the "
            "Developer Portal's Bot page"
        ) from None
