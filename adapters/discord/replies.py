"""Replies: what to send for a core result, and how to send it within Discord's rules.

Interactions are answered or deferred within the 3-second limit; private replies go to the
asker only; every send disables mentions; handler errors end in a polite note, not a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import discord
from discord import ui

from adapters.discord import render
from adapters.discord.endpoints import NONE
from adapters.discord.views import feedback_view, picks_view
from bot.models import Answer, AskContext
from bot.service import Asked

log = logging.getLogger(__name__)

T = TypeVar("T")

SORRY = "Sorry, something went wrong on my side. Please try again in a moment."


@dataclass(frozen=True)
class Reply:
    """A message to send; ``private`` ones go only to the asker where Discord allows it."""

    content: str | None = None
    embed: discord.Embed | None = None
    view: ui.View | None = None
    private: bool = False

    def kwargs(self) -> dict[str, Any]:
        fields = {"content": self.content, "embed": self.embed, "view": self.view}
        return {key: value for key, value in fields.items() if value is not None}


def compose(asked: Asked, *, bot_name: str) -> Reply:
    """An answer with feedback buttons, or an honest miss with suggestions as buttons."""
    result = asked.result
    if isinstance(result, Answer):
        runners_up = [candidate.entry for candidate in result.runners_up]
        return Reply(
            embed=render.entry_embed(result.entry), view=feedback_view(asked.log_id, runners_up)
        )
    suggestions = [candidate.entry for candidate in result.suggestions]
    return Reply(
        content=render.no_answer_text(result, bot_name=bot_name),
        view=picks_view(suggestions) if suggestions else None,
        private=True,
    )


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


async def send(interaction: discord.Interaction[Any], reply: Reply) -> None:
    """Respond, or follow up a deferred response; private replies stay with the asker."""
    kwargs = {**reply.kwargs(), "allowed_mentions": NONE}
    if not interaction.response.is_done():
        await interaction.response.send_message(**kwargs, ephemeral=reply.private)
        return
    if reply.private and not interaction.extras.get("deferred_privately"):
        # The public "thinking…" placeholder would show the miss to everyone: replace it.
        with contextlib.suppress(discord.HTTPException):
            await interaction.delete_original_response()
    await interaction.followup.send(**kwargs, ephemeral=reply.private)


@contextlib.asynccontextmanager
async def guard(interaction: discord.Interaction[Any], what: str) -> AsyncIterator[None]:
    """Crash guard: log the error, tell the member politely, never show a traceback."""
    try:
        yield
    except Exception:
        log.exception("%s failed (interaction %s)", what, interaction.id)
        await apologise(interaction)


async def apologise(interaction: discord.Interaction[Any]) -> None:
    """Tell the member something went wrong, only them, whether or not we responded yet."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(SORRY, ephemeral=True, allowed_mentions=NONE)
        else:
            await interaction.response.send_message(SORRY, ephemeral=True, allowed_mentions=NONE)
    except Exception:
        log.warning("could not tell the member about the error", exc_info=True)
