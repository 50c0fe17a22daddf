"""Weekly tips posted through the Slack Web API (``qabot tips post --platform slack``, workers)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import make_client
from adapters.slack.render import render_tip
from bot.models import Tip
from bot.settings import TipChannel, load_slack_settings

log = logging.getLogger(__name__)


class SlackTipPoster:
    """Posts a ``Tip`` to its channel with ``chat.postMessage``; returns the message ``ts``."""

    platform = "slack"

    def __init__(self, client: AsyncWebClient, channels: Sequence[TipChannel]) -> None:
        self.client = client
        self.channels = channels

    async def post(self, tip: Tip) -> str | None:
        message = render_tip(tip.entry, weekly=True)
        response = await self.client.chat_postMessage(
            channel=tip.channel, **message.as_kwargs(), unfurl_links=False, unfurl_media=False
        )
        ts = response.get("ts")
        log.info("posted tip %s to %s (%s) as %s", tip.entry.id, tip.channel, tip.week, ts)
        return str(ts) if ts else None

    async def aclose(self) -> None:
        """Nothing to release: the SDK opens a session per request."""


def open_poster(environ: Mapping[str, str]) -> SlackTipPoster:
    """The ``qabot.tip_posters`` entry point; raises ConfigError listing every problem."""
    _, settings = load_slack_settings(environ, mode="api")
    return SlackTipPoster(make_client(settings), settings.tip_channels)
