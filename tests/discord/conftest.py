"""Fixtures: a fake Discord on 127.0.0.1, a real QABot on SQLite, and a connected client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord.gateway
import discord.http
import pytest
from discord_support import KNOWLEDGE, Clock, Connect
from fake_discord import TOKEN, FakeDiscord

from adapters.discord.client import QAClient, create_bot
from adapters.discord.settings import DiscordSettings
from adapters.discord.settings import load_settings as load_discord_settings
from bot.service import QABot
from bot.settings import CoreSettings


@pytest.fixture(autouse=True)
def restore_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client sets discord.py's REST base and gateway process-wide; undo that per test."""
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    gateway = discord.gateway.DiscordWebSocket
    monkeypatch.setattr(gateway, "DEFAULT_GATEWAY", gateway.DEFAULT_GATEWAY)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    yield server
    await server.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def environ(fake: FakeDiscord, tmp_path: Path) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_URL": fake.api_url,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "DISCORD_MENTION_COOLDOWN": "3/60",
        "KNOWLEDGE_DIR": str(KNOWLEDGE / "webinars"),  # the source "webinars"
        "KNOWLEDGE_BASE_URL": "https://example.com/kb/webinars",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "DATA_DIR": str(tmp_path),
        "USER_ID_SALT": "test-salt",
        # One matching from start to end: the sentence model would take over mid-test.
        "EMBEDDING_MODEL": "word-vectors",
    }


@pytest.fixture
def settings(environ: dict[str, str]) -> tuple[CoreSettings, DiscordSettings]:
    return load_discord_settings(environ)


@pytest.fixture
async def qabot(
    settings: tuple[CoreSettings, DiscordSettings], clock: Clock
) -> AsyncIterator[QABot]:
    bot = await QABot.start(settings[0], clock=clock.utc)
    yield bot
    await bot.close()


@pytest.fixture
async def connect(
    qabot: QABot, settings: tuple[CoreSettings, DiscordSettings], clock: Clock
) -> AsyncIterator[Connect]:
    """Start production clients (``create_bot``) against the fake; all are closed afterwards."""
    running: list[tuple[QAClient, asyncio.Task[None]]] = []

    async def start(discord_settings: DiscordSettings | None = None, **options: Any) -> QAClient:
        options.setdefault("clock", clock.monotonic)
        options.setdefault("guild_ready_timeout", 0.05)
        client = create_bot(qabot, discord_settings or settings[1], **options)
        await client.login(TOKEN)
        task = asyncio.create_task(client.connect(reconnect=False))
        running.append((client, task))
        await asyncio.wait_for(client.wait_until_ready(), 5)
        return client

    yield start
    for client, task in running:
        await client.close()
        await asyncio.wait_for(task, 5)


@pytest.fixture
async def client(connect: Connect) -> QAClient:
    result: QAClient = await connect()
    return result
