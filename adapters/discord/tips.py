"""Weekly tips through Discord's REST API only: ``qabot tips post --platform discord``.

The worker posts with the same ``send_tip``; no gateway connection is needed here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

import discord

from adapters.discord.endpoints import NONE, login, use_endpoints
from adapters.discord.replies import compose
from adapters.discord.settings import DiscordSettings
from bot import replies
from bot.models import Tip
from bot.settings import TipChannel

log = logging.getLogger(__name__)


async def send_tip(client: discord.Client, tip: Tip) -> str:
    """Post one tip as an embed; returns the message id."""
    channel = client.get_partial_messageable(int(tip.channel))
    outgoing = compose(replies.tip(tip.entry, weekly=True))
    message = await channel.send(**outgoing.kwargs(), allowed_mentions=NONE)
    log.debug("sent tip %s to channel %s as message %s", tip.entry.id, tip.channel, message.id)
    return str(message.id)


HISTORY_LIMIT = 100  # the latest messages searched for a tip that went out unrecorded


async def find_tip(client: discord.Client, tip: Tip, since: dt.datetime) -> str | None:
    """The id of the bot's message carrying this tip, posted since ``since``, if there is one.

    Discord returns no nonce with fetched messages, so the tip is known by its embed: the same
    entry is the tip of one week only (the rotation goes through every entry first).
    Needs the Read Message History permission in the channel.
    """
    expected = compose(replies.tip(tip.entry, weekly=True)).embed
    assert expected is not None, "a tip is an embed"
    channel = client.get_partial_messageable(int(tip.channel))
    # Newest first: a tip that went out unrecorded is recent, however long ago the slot was.
    async for message in channel.history(limit=HISTORY_LIMIT):
        if message.created_at < since:
            break
        if client.user is None or message.author.id != client.user.id or not message.embeds:
            continue
        shown = message.embeds[0]
        if (shown.title, shown.author.name) == (expected.title, expected.author.name):
            return str(message.id)
    return None


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
            await login(client, self.settings.token)  # REST only: no gateway session
            self._client = client
        return self._client

    async def post(self, tip: Tip) -> str | None:
        return await send_tip(await self._logged_in(), tip)

    async def find(self, tip: Tip, since: dt.datetime) -> str | None:
        return await find_tip(await self._logged_in(), tip, since)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
