"""Weekly tips (worker and REST-only poster), settings errors and the ``qabot discord`` command."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
from fake_discord import APP_ID, CHANNEL_ID, FakeDiscord

from adapters.discord import cli
from adapters.discord.connection import DiscordConnection
from adapters.discord.settings import load_settings as load_discord_settings
from adapters.discord.tips import DiscordTipPoster
from bot.cli.tips import open_poster
from bot.errors import BotError, ConfigError
from bot.knowledge import load_knowledge
from bot.models import Entry, Tip
from bot.runtime import serve
from bot.service import QABot

MESSAGES = rf"/channels/{CHANNEL_ID}/messages"


async def test_the_worker_posts_the_weekly_tip_once(
    fake: FakeDiscord, qabot: QABot, environ: dict[str, str]
) -> None:
    env = {**environ, "DISCORD_TIP_CHANNELS": f"{CHANNEL_ID}=mon 00:00 UTC"}
    core, settings = load_discord_settings(env)
    stop = asyncio.Event()
    worker = asyncio.create_task(serve(core, DiscordConnection(settings), stop=stop))
    try:
        [post] = await fake.wait_for("POST", MESSAGES)
    finally:
        stop.set()
        await asyncio.wait_for(worker, 5)
    embed = post.json["embeds"][0]
    assert embed["author"]["name"] == "💡 Tip of the week" and embed["title"]
    assert post.json["allowed_mentions"] == {"parse": []}
    again = await qabot.tip_scheduler("discord", settings.tip_channels).run_due(
        lambda tip: pytest.fail(f"posted twice: {tip}")
    )
    assert again == []
    assert len(fake.find("POST", MESSAGES)) == 1


async def test_open_poster_posts_over_rest_without_a_gateway(
    fake: FakeDiscord, qabot: QABot, environ: dict[str, str]
) -> None:
    poster = open_poster(
        "discord", {**environ, "DISCORD_TIP_CHANNELS": f"{CHANNEL_ID}=wed 10:00 UTC"}
    )
    assert isinstance(poster, DiscordTipPoster) and poster.platform == "discord"
    assert [c.channel for c in poster.channels] == [str(CHANNEL_ID)]
    try:
        entry = qabot.knowledge.entries[0]
        ref = await poster.post(Tip(entry, "discord", str(CHANNEL_ID), "2026-W49"))
        [post] = fake.find("POST", MESSAGES)
        assert ref is not None and int(ref) in fake.messages
        assert post.json["embeds"][0]["title"] == entry.question
        assert post.json["allowed_mentions"] == {"parse": []}
        # The core's scheduler drives the same poster (what `qabot tips post` does).
        channels = load_discord_settings({**environ, "DISCORD_TIP_CHANNELS": str(CHANNEL_ID)})
        scheduler = qabot.tip_scheduler("discord", channels[1].tip_channels)
        assert len(await scheduler.run_due(poster.post)) == 1
        assert await scheduler.run_due(poster.post) == []
    finally:
        await poster.aclose()
    assert fake.identify is None  # REST only: no gateway session
    assert len(fake.find("POST", MESSAGES)) == 2


async def test_a_rejected_token_is_reported_clearly(environ: dict[str, str]) -> None:
    poster = open_poster("discord", {**environ, "DISCORD_TOKEN": "wrong"})
    with pytest.raises(BotError, match="DISCORD_TOKEN"):
        await poster.post(Tip(_any_entry(), "discord", str(CHANNEL_ID), "2026-W49"))
    await poster.aclose()


def test_every_settings_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        open_poster(
            "discord",
            {
                "DISCORD_API_URL": "discord.com/api",
                "DISCORD_GUILD_IDS": "main-server",
                "DISCORD_MENTION_COOLDOWN": "lots",
            },
        )
    text = str(caught.value)
    for name in (
        "DISCORD_TOKEN",
        "DISCORD_API_URL",
        "DISCORD_GUILD_IDS",
        "DISCORD_MENTION_COOLDOWN",
    ):
        assert name in text
    with pytest.raises(ConfigError, match="#general"):
        open_poster("discord", {"DISCORD_TOKEN": "t", "DISCORD_TIP_CHANNELS": "#general"})


def test_qabot_discord_without_a_token_exits_before_connecting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.setattr(os, "environ", {"DISCORD_GUILD_IDS": "x"})
    assert main(["discord"]) == 1
    err = capsys.readouterr().err
    assert "DISCORD_TOKEN is not set" in err and "DISCORD_GUILD_IDS" in err


async def test_serve_connects_runs_and_stops_on_sigterm(
    fake: FakeDiscord, environ: dict[str, str]
) -> None:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    assert parser.parse_args(["discord"]).func is cli.run
    core, settings = load_discord_settings(environ)
    serving = asyncio.create_task(serve(core, DiscordConnection(settings)))
    await fake.wait_connected()
    await fake.wait_for("PUT", rf"/applications/{APP_ID}/commands")
    os.kill(os.getpid(), signal.SIGTERM)  # what Heroku sends on a restart
    assert await asyncio.wait_for(serving, 5) is None


async def test_serve_exposes_metrics_on_metrics_port_while_running(
    fake: FakeDiscord, environ: dict[str, str]
) -> None:
    with socket.socket() as probe:  # a free port for the metrics server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    core, settings = load_discord_settings({**environ, "METRICS_PORT": str(port)})
    serving = asyncio.create_task(serve(core, DiscordConnection(settings)))
    await fake.wait_connected()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
            assert response.status == 200
            assert "qabot_questions" in await response.text()
        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert (await response.json())["status"] == "ok"
        os.kill(os.getpid(), signal.SIGTERM)
        assert await asyncio.wait_for(serving, 5) is None
        with pytest.raises(aiohttp.ClientConnectionError):  # stopped with the bot
            await http.get(f"http://127.0.0.1:{port}/healthz")


async def test_serve_reports_a_rejected_token(fake: FakeDiscord, environ: dict[str, str]) -> None:
    core, settings = load_discord_settings({**environ, "DISCORD_TOKEN": "wrong"})
    with pytest.raises(BotError, match="DISCORD_TOKEN"):
        await asyncio.wait_for(serve(core, DiscordConnection(settings)), 5)


def _any_entry() -> Entry:
    return load_knowledge(Path(__file__).parent / "knowledge").entries[0]


async def test_qabot_tips_post_posts_through_the_discord_poster(
    fake: FakeDiscord, environ: dict[str, str]
) -> None:
    env = {**environ, "DISCORD_TIP_CHANNELS": f"{CHANNEL_ID}=mon 00:00 UTC", "PATH": os.defpath}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "tips",
        "post",
        "--platform",
        "discord",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, err.decode()
    [post] = fake.find("POST", MESSAGES)
    assert post.json["embeds"][0]["title"] in out.decode()
    assert fake.identify is None
