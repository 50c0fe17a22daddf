"""Weekly tips posted through the Slack Web API (``qabot tips post --platform slack``, workers)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import PLATFORM, make_client
from adapters.slack.render import render
from adapters.slack.settings import SlackSettings
from bot import replies
from bot.models import Tip
from bot.settings import TipChannel

log = logging.getLogger(__name__)


class SlackTipPoster:
    """Posts a ``Tip`` to its channel with ``chat.postMessage``; returns the message ``ts``."""

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, channels: Sequence[TipChannel]) -> None:
        self.client = client
        self.channels = channels

    async def post(self, tip: Tip) -> str | None:
        message = render(replies.tip(tip.entry, weekly=True))
        response = await self.client.chat_postMessage(
            channel=tip.channel, **message.as_kwargs(), unfurl_links=False, unfurl_media=False
        )
        ts = response.get("ts")
        log.debug("posted tip %s to %s (%s) as %s", tip.entry.id, tip.channel, tip.week, ts)
        return str(ts) if ts else None

    async def aclose(self) -> None:
        """Nothing to release: the SDK opens a session per request."""


def open_poster(settings: SlackSettings) -> SlackTipPoster:
    """The platform's tip poster, over the Web API only."""
    return SlackTipPoster(make_client(settings), settings.tip_channels)
