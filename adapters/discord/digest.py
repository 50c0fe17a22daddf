"""The weekly host digest on Discord: the core's ``Digest`` as messages of at most 2,000
characters (one per part: summary and lists, then each draft), mentions disabled."""

from __future__ import annotations

import logging

import discord

from adapters.discord.endpoints import NONE
from adapters.discord.render import CONTENT_LIMIT, fit
from bot.digest import Digest

log = logging.getLogger(__name__)


def digest_messages(digest: Digest) -> list[str]:
    """The digest as message texts, each within Discord's limit; blocks are never split."""
    blocks = [f"**{digest.title}**\n{digest.summary}"]
    for section in digest.sections:
        blocks.append(f"**{section.heading}**\n" + "\n".join(f"- {line}" for line in section.lines))
    if digest.drafts:
        blocks.append(digest.drafts_hint)
        blocks += [f"{d.asked_as}\n```markdown\n{d.markdown}\n```" for d in digest.drafts]
    messages: list[str] = []
    for block in blocks:
        block = fit(block, CONTENT_LIMIT)
        if messages and len(messages[-1]) + 2 + len(block) <= CONTENT_LIMIT:
            messages[-1] += "\n\n" + block
        else:
            messages.append(block)
    return messages


async def send_digest(client: discord.Client, channel_id: str, digest: Digest) -> str:
    """Post the digest; returns the first message's id."""
    channel = client.get_partial_messageable(int(channel_id))
    ids = []
    for text in digest_messages(digest):
        message = await channel.send(content=text, allowed_mentions=NONE)
        ids.append(str(message.id))
    log.debug("sent the host digest to channel %s as %s", channel_id, ", ".join(ids))
    return ids[0]
