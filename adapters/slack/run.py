"""The Slack connection the worker runs: Socket Mode (no public URL) or HTTP on $PORT."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import PLATFORM, build_app
from adapters.slack.digest import SlackDigestPoster
from adapters.slack.settings import SlackSettings
from adapters.slack.tips import SlackTipPoster
from adapters.slack.verify import Refusals, verify_requests
from bot.digest import Digest
from bot.errors import BotError
from bot.inflight import InFlight
from bot.metrics import metrics_routes
from bot.models import Tip
from bot.service import QABot

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
Handler = Callable[[web.Request], Any]


class SlackConnection:
    """``bot.runtime.Connection`` for Slack; the worker does the rest."""

    name = PLATFORM

    def __init__(self, settings: SlackSettings, *, http: bool) -> None:
        self.settings = settings
        self.http = http
        self.tip_channels = settings.tip_channels
        self.digest_channels = settings.digest_channels
        self._stack = contextlib.AsyncExitStack()
        self._poster: SlackTipPoster | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._digests: SlackDigestPoster | None = None

    async def open(self, bot: QABot) -> None:
        app = build_app(bot, self.settings)
        # One connection pool for every Web API call: without it the SDK opens a session
        # (and a TCP connection) per call, a few milliseconds of CPU each under load.
        app.client.session = await self._stack.enter_async_context(aiohttp.ClientSession())
        await check_connection(app.client)
        if self.http:
            secret = self.settings.signing_secret or ""
            web_app = build_web_app(app, secret, bot.in_flight)
            await self._stack.enter_async_context(http_server(web_app, self.settings.port))
        else:
            self._socket = await open_socket(app, self.settings.app_token or "", self._stack)
        self._poster = SlackTipPoster(app.client, self.tip_channels)
        self._digests = SlackDigestPoster(app.client, self.digest_channels)

    async def closed(self) -> None:
        await asyncio.Future()  # Socket Mode reconnects by itself; HTTP mode just listens

    async def post_tip(self, tip: Tip) -> str | None:
        assert self._poster is not None, "post_tip before open"
        return await self._poster.post(tip)

    async def stop_taking(self) -> None:
        """SIGTERM: Socket Mode disconnects (Slack sends the next events to another
        connection); HTTP answers 503 meanwhile (Slack retries events later)."""
        if self._socket is not None:
            await close_socket(self._socket)

    async def post_digest(self, channel: str, digest: Digest) -> str | None:
        assert self._digests is not None, "post_digest before open"
        return await self._digests.post(channel, digest)

    async def find_tip(self, tip: Tip, since: dt.datetime) -> str | None:
        assert self._poster is not None, "find_tip before open"
        return await self._poster.find(tip, since)

    async def close(self) -> None:
        await self._stack.aclose()


def build_web_app(
    app: AsyncApp, signing_secret: str, in_flight: InFlight | None = None
) -> web.Application:
    """Slack's endpoint (signature checked first) plus ``/healthz`` and ``/metrics``.

    With ``in_flight``, a request is counted until answered, and refused with 503 once the
    worker is shutting down.
    """
    web_app = app.web_app(path=EVENTS_PATH)
    if in_flight is not None:
        web_app.middlewares.append(refuse_when_stopping(in_flight, EVENTS_PATH))
    refusals = Refusals()
    web_app.middlewares.append(verify_requests(signing_secret, EVENTS_PATH, refusals))
    web_app.on_cleanup.append(lambda _app: _flushed(refusals))
    web_app.add_routes(metrics_routes())
    return web_app


async def _flushed(refusals: Refusals) -> None:
    refusals.flush()


def refuse_when_stopping(in_flight: InFlight, path: str) -> Any:
    @web.middleware
    async def refuse(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path != path:
            return await handler(request)  # type: ignore[no-any-return]
        if not in_flight.accepting:
            # Slack retries an event that got a 5xx: the process replacing this one answers.
            return web.json_response({"error": "shutting down"}, status=503)
        async with in_flight.track():
            return await handler(request)  # type: ignore[no-any-return]

    return refuse


@contextlib.asynccontextmanager
async def http_server(
    web_app: web.Application, port: int, host: str = "0.0.0.0"
) -> AsyncIterator[int]:
    """Serve the app over HTTP; yields the bound port (``port=0`` picks a free one)."""
    runner = web.AppRunner(web_app, access_log=None)
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
        await close_socket(handler)


async def close_socket(handler: AsyncSocketModeHandler) -> None:
    if not handler.client.closed:  # closed already when the worker stopped taking events
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


async def open_socket(
    app: AsyncApp, app_token: str, stack: contextlib.AsyncExitStack
) -> AsyncSocketModeHandler:
    try:
        return await stack.enter_async_context(socket_mode(app, app_token))
    except SlackApiError as exc:
        raise BotError(
            f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}); it needs the "
            "connections:write scope and Socket Mode enabled in the app settings"
        ) from None
