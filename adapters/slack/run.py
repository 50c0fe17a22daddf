"""Runners: Socket Mode (a worker, no public URL) or HTTP mode (``/slack/events`` on $PORT).

Both run the weekly tip scheduler in the same process and stop cleanly on SIGTERM / SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import PLATFORM, build_app
from adapters.slack.tips import SlackTipPoster
from bot.errors import BotError
from bot.metrics import metrics_routes, serve_metrics
from bot.service import QABot
from bot.settings import CoreSettings, SlackSettings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


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
        log.info("Slack HTTP mode on http://%s:%d%s", host, bound, EVENTS_PATH)
        yield bound
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def socket_mode(app: AsyncApp, app_token: str) -> AsyncIterator[AsyncSocketModeHandler]:
    """Connect to Slack over Socket Mode for as long as the context is open."""
    handler = AsyncSocketModeHandler(app, app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    log.info("Slack Socket Mode connected")
    try:
        yield handler
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


@contextlib.asynccontextmanager
async def tip_task(bot: QABot, poster: SlackTipPoster) -> AsyncIterator[None]:
    """The weekly tip scheduler as a background task (nothing when no channel is configured)."""
    if not poster.channels:
        yield
        return
    scheduler = bot.tip_scheduler(PLATFORM, poster.channels)
    task = asyncio.create_task(scheduler.run_forever(poster.post), name="slack-tips")
    task.add_done_callback(_report_crash)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the tip scheduler stopped", exc_info=task.exception())


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
    log.info("signed in to Slack team %s as %s", identity.get("team"), identity.get("user"))


async def open_socket(app: AsyncApp, app_token: str, stack: contextlib.AsyncExitStack) -> None:
    try:
        await stack.enter_async_context(socket_mode(app, app_token))
    except SlackApiError as exc:
        raise BotError(
            f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}); it needs the "
            "connections:write scope and Socket Mode enabled in the app settings"
        ) from None


def stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def serve(
    core: CoreSettings, slack: SlackSettings, *, http: bool, stop: asyncio.Event | None = None
) -> None:
    """Run the Slack bot until ``stop`` is set (by default: until SIGTERM or SIGINT)."""
    stop = stop or stop_on_signals()
    bot = await QABot.start(core)
    try:
        app = build_app(bot, slack)
        await check_connection(app.client)
        async with contextlib.AsyncExitStack() as stack:
            if http:
                await stack.enter_async_context(http_server(app, slack.port))
            else:
                if core.metrics_port:
                    metrics = await serve_metrics(core.metrics_port)
                    stack.push_async_callback(metrics.cleanup)
                await open_socket(app, slack.app_token or "", stack)
            poster = SlackTipPoster(app.client, slack.tip_channels)
            await stack.enter_async_context(tip_task(bot, poster))
            await stop.wait()
            log.info("stopping the Slack bot")
    finally:
        await bot.close()
