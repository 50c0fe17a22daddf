"""Weekly tips posted through the Slack Web API (``qabot tips post --platform slack``, workers)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import PLATFORM, make_client
from adapters.slack.render import render
from adapters.slack.settings import SlackSettings
from bot import replies
from bot.models import Tip
from bot.settings import TipChannel

log = logging.getLogger(__name__)

# Message metadata on each weekly tip, read back to tell whether a tip already went out.
TIP_EVENT = "qabot_tip"
# One page of the channel's history since the slot, newest first: a tip that went out
# unrecorded is recent, so it is on it unless 200 messages came after it.
HISTORY_LIMIT = 200


class SlackTipPoster:
    """Posts a ``Tip`` to its channel with ``chat.postMessage``; returns the message ``ts``."""

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, channels: Sequence[TipChannel]) -> None:
        self.client = client
        self.channels = channels

    async def post(self, tip: Tip) -> str | None:
        message = render(replies.tip(tip.entry, weekly=True))
        response = await self.client.chat_postMessage(
            channel=tip.channel,
            **message.as_kwargs(),
            unfurl_links=False,
            unfurl_media=False,
            metadata={"event_type": TIP_EVENT, "event_payload": tip_payload(tip)},
        )
        ts = response.get("ts")
        log.debug("posted tip %s to %s (%s) as %s", tip.entry.id, tip.channel, tip.week, ts)
        return str(ts) if ts else None

    async def find(self, tip: Tip, since: dt.datetime) -> str | None:
        """The ``ts`` of this week's tip if the channel's history since ``since`` holds it.

        Needs the ``channels:history`` scope (``groups:history`` for private channels)."""
        response = await self.client.conversations_history(
            channel=tip.channel,
            oldest=f"{since.timestamp():.6f}",
            include_all_metadata=True,
            limit=HISTORY_LIMIT,
        )
        for message in response.get("messages") or []:
            if is_tip_of(message, tip):
                return str(message["ts"])
        return None

    async def aclose(self) -> None:
        """Nothing to release: the SDK opens a session per request."""


def tip_payload(tip: Tip) -> dict[str, str]:
    return {"channel": tip.channel, "iso_week": tip.week, "claim": tip.claim}


def is_tip_of(message: dict[str, Any], tip: Tip) -> bool:
    """Whether a history message is this channel's tip for the tip's week (any claim)."""
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return (
        metadata.get("event_type") == TIP_EVENT
        and payload.get("channel") == tip.channel
        and payload.get("iso_week") == tip.week
        and bool(message.get("ts"))
    )


def open_poster(settings: SlackSettings) -> SlackTipPoster:
    """The platform's tip poster, over the Web API only."""
    return SlackTipPoster(make_client(settings), settings.tip_channels)
