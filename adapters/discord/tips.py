"""Weekly tips through Discord's REST API only: ``qabot tips post --platform discord``.

The long-running client posts with the same ``send_tip``; no gateway connection is needed here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import discord

from adapters.discord import render
from adapters.discord.endpoints import NONE, use_endpoints
from bot.errors import BotError
from bot.models import Tip
from bot.settings import DiscordSettings, TipChannel, load_discord_settings

log = logging.getLogger(__name__)


async def send_tip(client: discord.Client, tip: Tip) -> str:
    """Post one tip as an embed; returns the message id."""
    channel = client.get_partial_messageable(int(tip.channel))
    message = await channel.send(embed=render.tip_embed(tip.entry), allowed_mentions=NONE)
    log.debug("sent tip %s to channel %s as message %s", tip.entry.id, tip.channel, message.id)
    return str(message.id)


class DiscordTipPoster:
    """A ``bot.tips.TipPoster`` that logs in over REST on first use."""

    platform = "discord"

    def __init__(self, settings: DiscordSettings) -> None:
        self.settings = settings
        self.channels: Sequence[TipChannel] = settings.tip_channels
        self._client: discord.Client | None = None

    async def _logged_in(self) -> discord.Client:
        if self._client is None:
            use_endpoints(self.settings)
            intents = discord.Intents.none()
            intents.guilds = True  # unused without a gateway; avoids a misleading warning
            client = discord.Client(intents=intents, allowed_mentions=NONE)
            try:
                await client.login(self.settings.token)  # REST only: no gateway session
            except discord.LoginFailure:
                await client.close()
                raise BotError(
                    "Discord rejected DISCORD_TOKEN (401 Unauthorized): copy a fresh token from "
                    "the Developer Portal's Bot page"
                ) from None
            self._client = client
        return self._client

    async def post(self, tip: Tip) -> str | None:
        return await send_tip(await self._logged_in(), tip)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


def open_poster(environ: Mapping[str, str]) -> DiscordTipPoster:
    """Entry point ``qabot.tip_posters: discord``; raises ConfigError on bad settings."""
    return DiscordTipPoster(load_discord_settings(environ)[1])
