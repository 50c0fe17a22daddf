"""The Discord connection the worker runs: one gateway session per bot token."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from typing import Any

from adapters.discord.client import QAClient, create_bot
from adapters.discord.digest import send_digest
from adapters.discord.endpoints import login
from adapters.discord.settings import DiscordSettings
from adapters.discord.tips import find_tip, send_tip
from bot.digest import Digest
from bot.models import Tip
from bot.service import QABot


class DiscordConnection:
    """``bot.runtime.Connection`` for Discord; the worker does the rest."""

    name = "discord"

    def __init__(self, settings: DiscordSettings, **options: Any) -> None:
        self.settings = settings
        self.tip_channels = settings.tip_channels
        self.digest_channels = settings.digest_channels
        self.options = options  # for QAClient (tests shorten timeouts)
        self.client: QAClient | None = None
        self._session: asyncio.Task[None] | None = None

    async def open(self, bot: QABot) -> None:
        self.client = create_bot(bot, self.settings, **self.options)
        await login(self.client, self.settings.token)
        self._session = asyncio.create_task(self.client.connect(), name="discord-gateway")

    async def closed(self) -> None:
        assert self._session is not None, "closed before open"
        await asyncio.shield(self._session)  # the worker cancels its wait, not the session

    async def post_tip(self, tip: Tip) -> str | None:
        assert self.client is not None, "post_tip before open"
        return await send_tip(self.client, tip)

    async def find_tip(self, tip: Tip, since: dt.datetime) -> str | None:
        assert self.client is not None, "find_tip before open"
        return await find_tip(self.client, tip, since)

    async def post_digest(self, channel: str, digest: Digest) -> str | None:
        assert self.client is not None, "post_digest before open"
        return await send_digest(self.client, channel, digest)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()  # Heroku sends SIGTERM on restarts: close cleanly
        if self._session is not None:
            with contextlib.suppress(Exception):
                await self._session
