"""Fixtures: the fake Slack API, a real QABot on a temporary SQLite store, and the real bolt
app served over HTTP, driven by a signed client that plays Slack's part."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from fake_slack import FakeSlack
from slack_side import SECRET, SlackSide, StartSlack, environ

from adapters.slack.app import build_app
from adapters.slack.delivery import DELIVER_WITHIN
from adapters.slack.run import build_web_app
from adapters.slack.settings import SlackSettings
from adapters.slack.settings import load_settings as load_slack_settings
from bot.service import QABot


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.close()


@pytest.fixture
async def qabot(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[QABot]:
    core, _ = load_slack_settings(environ(tmp_path, fake), mode="http")
    bot = await QABot.start(core)
    yield bot
    await bot.close()


@pytest.fixture
async def start_slack(tmp_path: Path, fake: FakeSlack, qabot: QABot) -> AsyncIterator[StartSlack]:
    """Serve the real bolt app (with /healthz and /metrics) over HTTP; extra env as kwargs.

    ``ANSWER_THRESHOLD`` starts a bot of its own (same store), so a test can make any question
    fall short of a confident match without depending on the matcher's calibration.
    """
    servers: list[TestServer] = []
    bots: list[QABot] = []
    http = aiohttp.ClientSession()

    async def start(*, deliver_within: float = DELIVER_WITHIN, **extra: str) -> SlackSide:
        core, settings = load_slack_settings(environ(tmp_path, fake, **extra), mode="http")
        bot = qabot
        if "ANSWER_THRESHOLD" in extra:
            bot = await QABot.start(core)
            bots.append(bot)
        app = build_app(bot, settings, deliver_within=deliver_within)
        server = TestServer(build_web_app(app, SECRET, bot.in_flight), host="127.0.0.1")
        await server.start_server(access_log=None)  # as in production (`http_server`)
        servers.append(server)
        return SlackSide(http, str(server.make_url("/slack/events")), fake)

    yield start
    await http.close()
    for server in servers:
        await server.close()
    for bot in bots:
        await bot.close()


@pytest.fixture
async def slack(start_slack: StartSlack) -> SlackSide:
    return await start_slack()


@pytest.fixture
def slack_settings(tmp_path: Path, fake: FakeSlack) -> SlackSettings:
    return load_slack_settings(environ(tmp_path, fake), mode="http")[1]
