"""The Slack connection the worker runs: Socket Mode (no public URL) or HTTP on $PORT."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import PLATFORM, build_app
from adapters.slack.settings import SlackSettings
from adapters.slack.tips import SlackTipPoster
from bot.errors import BotError
from bot.metrics import metrics_routes
from bot.models import Tip
from bot.service import QABot

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class SlackConnection:
    """``bot.runtime.Connection`` for Slack; the worker does the rest."""

    name = PLATFORM

    def __init__(self, settings: SlackSettings, *, http: bool) -> None:
        self.settings = settings
        self.http = http
        self.tip_channels = settings.tip_channels
        self._stack = contextlib.AsyncExitStack()
        self._poster: SlackTipPoster | None = None

    async def open(self, bot: QABot) -> None:
        app = build_app(bot, self.settings)
        await check_connection(app.client)
        if self.http:
            await self._stack.enter_async_context(http_server(app, self.settings.port))
        else:
            await open_socket(app, self.settings.app_token or "", self._stack)
        self._poster = SlackTipPoster(app.client, self.tip_channels)

    async def closed(self) -> None:
        await asyncio.Future()  # Socket Mode reconnects by itself; HTTP mode just listens

    async def post_tip(self, tip: Tip) -> str | None:
        assert self._poster is not None, "post_tip before open"
        return await self._poster.post(tip)

    async def find_tip(self, tip: Tip, since: dt.datetime) -> str | None:
        assert self._poster is not None, "find_tip before open"
        return await self._poster.find(tip, since)

    async def close(self) -> None:
        await self._stack.aclose()


def build_web_app(app: AsyncApp) -> web.Application:
    """Slack's endpoint plus ``/healthz`` and ``/metrics`` in one aiohttp application."""
    web_app = app.web_app(path=EVENTS_PATH)
    web_app.add_routes(metrics_routes())
    return web_app


@contextlib.asynccontextmanager
async def http_server(app: AsyncApp, port: int, host: str = "0.0.0.0") -> AsyncIterator[int]:
    """Serve the app over HTTP; yields the bound port (``port=0`` picks a free one)."""
    runner = web.AppRunner(build_web_app(app), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1]
        log.debug("Slack HTTP mode on http://%s:%d%s", host, bound, EVENTS_PATH)
        yield bound
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def socket_mode(app: AsyncApp, app_token: str) -> AsyncIterator[AsyncSocketModeHandler]:
    """Connect to Slack over Socket Mode for as long as the context is open."""
    handler = AsyncSocketModeHandler(app, app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    log.debug("Slack Socket Mode connected")
    try:
        yield handler
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


async def check_connection(client: AsyncWebClient) -> None:
    """Fail at start, with a clear message, when Slack refuses the bot token or is unreachable."""
    try:
        identity = await client.auth_test()
    except SlackApiError as exc:
        raise BotError(
            f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error')}); copy the Bot User "
            "OAuth Token (xoxb-...) from the app's OAuth & Permissions page"
        ) from None
    except (aiohttp.ClientError, OSError) as exc:
        raise BotError(f"cannot reach the Slack Web API at {client.base_url}: {exc}") from None
    log.debug("signed in to Slack team %s as %s", identity.get("team"), identity.get("user"))


async def open_socket(app: AsyncApp, app_token: str, stack: contextlib.AsyncExitStack) -> None:
    try:
        await stack.enter_async_context(socket_mode(app, app_token))
    except SlackApiError as exc:
        raise BotError(
            f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}); it needs the "
            "connections:write scope and Socket Mode enabled in the app settings"
        ) from None
