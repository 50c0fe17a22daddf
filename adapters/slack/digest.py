"""The weekly host digest on Slack: the core's ``Digest`` as Block Kit, posted to a channel."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.mrkdwn import escape, to_mrkdwn
from adapters.slack.render import HEADER_LIMIT, SECTION_LIMIT, Block, Message
from bot.digest import Digest
from bot.display import clip
from bot.settings import TipChannel

log = logging.getLogger(__name__)


def render_digest(digest: Digest) -> Message:
    """Title, summary, one section per list, then the hint and one code block per draft."""
    blocks: list[Block] = [_header(digest.title), _section(to_mrkdwn(digest.summary))]
    for section in digest.sections:
        items = "\n".join(f"- {line}" for line in section.lines)
        blocks.append(_section(to_mrkdwn(f"**{section.heading}**\n\n{items}")))
    if digest.drafts:
        blocks.append(_section(to_mrkdwn(digest.drafts_hint)))
        for draft in digest.drafts:
            blocks.append(_section(to_mrkdwn(f"{draft.asked_as}\n```\n{draft.markdown}\n```")))
    return Message(escape(f"{digest.title}\n{digest.summary}"), blocks)


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, HEADER_LIMIT)}}


def _section(mrkdwn: str) -> Block:
    # The core keeps every block far below the limit (short lines, five drafts); a last guard.
    text = mrkdwn if len(mrkdwn) <= SECTION_LIMIT else mrkdwn[: SECTION_LIMIT - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


class SlackDigestPoster:
    """Posts a digest with ``chat.postMessage``; returns the message ``ts``."""

    platform = "slack"

    def __init__(self, client: AsyncWebClient, channels: Sequence[TipChannel]) -> None:
        self.client = client
        self.channels = channels

    async def post(self, channel: str, digest: Digest) -> str | None:
        message = render_digest(digest).as_kwargs()
        response = await self.client.chat_postMessage(
            channel=channel, **message, unfurl_links=False, unfurl_media=False
        )
        ts = response.get("ts")
        return str(ts) if ts else None
