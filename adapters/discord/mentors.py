""" "Ask a mentor" on Discord: post the question to DISCORD_MENTOR_CHANNEL, tell the presser.

Who may ask, how often, and what everyone reads is decided in ``bot.mentors`` and
``bot.replies``; the answer to the presser is ephemeral.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from adapters.discord.endpoints import NONE
from adapters.discord.replies import compose, interaction_context, send, within_budget
from bot import replies
from bot.mentors import MentorDesk
from bot.replies import Reply

if TYPE_CHECKING:
    from adapters.discord.client import QAClient

WEB = "https://discord.com/channels"


async def ask_mentor(client: QAClient, interaction: discord.Interaction[Any], log_id: int) -> None:
    channel = client.settings.mentor_channel
    if channel is None:  # the setting was removed since the button was drawn
        await send(interaction, compose(replies.note(replies.MENTOR_FAILED)))
        return
    desk = MentorDesk(client.qabot)

    async def post(notice: Reply) -> str | None:
        target = client.get_partial_messageable(int(channel))
        message = await target.send(**compose(notice).kwargs(), allowed_mentions=NONE)
        return str(message.id)

    ctx = interaction_context(interaction)
    work = desk.request(log_id, ctx, link=conversation_link(interaction), post=post)
    outcome = await within_budget(interaction, work, client.respond_within, private=True)
    # A miss that replied to a member's message is a conversation in the channel: the core
    # may announce there that the mentors were notified.
    said = replies.mentor_reply(outcome, desk.limit, thread=replied_to(interaction) is not None)
    await send(interaction, compose(said))


def replied_to(interaction: discord.Interaction[Any]) -> discord.MessageReference | None:
    """The member's message the pressed miss replied to (an @-mention), if any."""
    message = interaction.message
    reference = message.reference if message is not None else None
    return reference if reference is not None and reference.message_id else None


def conversation_link(interaction: discord.Interaction[Any]) -> str | None:
    """The member's message the miss replied to; for /ask (no message of theirs), the channel."""
    guild = interaction.guild_id or "@me"
    reference = replied_to(interaction)
    if reference is not None:
        return f"{WEB}/{guild}/{reference.channel_id}/{reference.message_id}"
    if interaction.channel_id:
        return f"{WEB}/{guild}/{interaction.channel_id}"
    return None
