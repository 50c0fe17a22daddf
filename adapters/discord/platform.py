"""Discord as the core sees it: the ``qabot.platforms`` entry point (discord.py loads on use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.discord import cli
from adapters.discord.settings import DiscordSettings, read_settings, tip_channels
from bot.platforms import Platform

if TYPE_CHECKING:
    from bot.replies import Reply
    from bot.tips import TipPoster


def tip_poster(discord_settings: DiscordSettings) -> TipPoster:
    from adapters.discord.tips import DiscordTipPoster

    return DiscordTipPoster(discord_settings)


def preview(reply: Reply) -> str:
    """What Discord gets for ``reply``: the embed's heading, title, text and footer, or the
    message text (buttons in brackets)."""
    from adapters.discord.replies import compose

    outgoing = compose(reply)
    lines = [outgoing.content] if outgoing.content else []
    embed = outgoing.embed
    if embed is not None:
        if embed.author.name:
            lines.append(embed.author.name)
        if embed.title:
            lines.append(f"**{embed.title}**" + (f" <{embed.url}>" if embed.url else ""))
        lines.append(embed.description or "")
        if embed.footer.text:
            lines.append(f"— {embed.footer.text}")
    if outgoing.view is not None:
        labels = [getattr(item, "label", None) for item in outgoing.view.children]
        lines.append(" ".join(f"[{label}]" for label in labels if label))
    return "\n".join(lines)


# bot.platforms.Platform(name, command, settings, tip_channels, tip_poster, preview)
PLATFORM = Platform("discord", cli.register, read_settings, tip_channels, tip_poster, preview)
