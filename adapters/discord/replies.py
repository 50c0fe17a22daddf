"""Sending the core's replies within Discord's rules.

Interactions are answered or deferred within the 3-second limit; private replies go to the
asker only where Discord allows it (interactions, not message replies); every send disables
mentions; handler errors end in the core's apology, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import discord
from discord import ui

from adapters.discord import render
from adapters.discord.delivery import deliver
from adapters.discord.endpoints import NONE
from adapters.discord.views import feedback_view, picks_view
from bot import replies
from bot.inflight import InFlight
from bot.models import AskContext
from bot.replies import Kind, Reply

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Outgoing:
    """A message to send; ``private`` ones go only to the asker where Discord allows it."""

    content: str | None = None
    embed: discord.Embed | None = None
    view: ui.View | None = None
    private: bool = False

    def kwargs(self) -> dict[str, Any]:
        fields = {"content": self.content, "embed": self.embed, "view": self.view}
        return {key: value for key, value in fields.items() if value is not None}


def compose(reply: Reply) -> Outgoing:
    """An entry as an embed (answers with feedback buttons), or a note with picks."""
    if reply.kind is Kind.NOTE:
        offers = reply.choices or reply.mentor_log_id is not None
        view = (
            picks_view(reply.choices, reply.picks_are, reply.log_id, reply.mentor_log_id)
            if offers
            else None
        )
        return Outgoing(content=render.content(reply), view=view, private=reply.private)
    view = feedback_view(reply.log_id, reply.others) if reply.kind is Kind.ANSWER else None
    return Outgoing(embed=render.embed(reply), view=view, private=reply.private)


def note(text: str) -> Outgoing:
    return compose(replies.note(text))


def interaction_context(interaction: discord.Interaction[Any]) -> AskContext:
    return AskContext(
        platform="discord",
        workspace=str(interaction.guild_id) if interaction.guild_id else None,
        channel=str(interaction.channel_id) if interaction.channel_id else None,
        user=str(interaction.user.id),
    )


def message_context(message: discord.Message) -> AskContext:
    return AskContext(
        platform="discord",
        workspace=str(message.guild.id) if message.guild else None,
        channel=str(message.channel.id),
        user=str(message.author.id),
    )


async def within_budget(
    interaction: discord.Interaction[Any],
    work: Awaitable[T],
    budget: float,
    *,
    private: bool = False,
) -> T:
    """Await ``work``; if it is not ready within the budget, defer so Discord keeps waiting."""
    task = asyncio.ensure_future(work)
    if interaction.response.is_done():
        return await task
    try:
        return await asyncio.wait_for(asyncio.shield(task), budget)
    except TimeoutError:
        try:
            await interaction.response.defer(thinking=True, ephemeral=private)
        except Exception:
            task.cancel()  # nobody would see the result
            raise
        interaction.extras["deferred_privately"] = private
        return await task


async def send(interaction: discord.Interaction[Any], outgoing: Outgoing) -> None:
    """Respond, or follow up a deferred response; private replies stay with the asker."""
    kwargs = {**outgoing.kwargs(), "allowed_mentions": NONE}
    if not interaction.response.is_done():
        await deliver(interaction.response.send_message(**kwargs, ephemeral=outgoing.private))
        return
    if outgoing.private and not interaction.extras.get("deferred_privately"):
        # The public "thinking…" placeholder would show the miss to everyone: replace it.
        with contextlib.suppress(discord.HTTPException):
            await interaction.delete_original_response()
    await deliver(interaction.followup.send(**kwargs, ephemeral=outgoing.private))


def guard(interaction: discord.Interaction[Any], what: str, in_flight: InFlight) -> Any:
    """The core's answer-or-apologise around an interaction handler, counted as in flight."""
    return in_flight.handling(
        f"{what} (interaction {interaction.id})", lambda: apologise(interaction)
    )


async def apologise(interaction: discord.Interaction[Any]) -> None:
    """Tell the member something went wrong, only them, whether or not we responded yet."""
    if interaction.response.is_done():
        await interaction.followup.send(replies.SORRY, ephemeral=True, allowed_mentions=NONE)
    else:
        await interaction.response.send_message(
            replies.SORRY, ephemeral=True, allowed_mentions=NONE
        )
