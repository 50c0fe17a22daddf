"""Slack as the core sees it: the ``qabot.platforms`` entry point (slack-bolt loads on use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.slack import cli
from adapters.slack.settings import SlackSettings, read_settings, tip_channels
from bot.platforms import Platform

if TYPE_CHECKING:
    from bot.replies import Reply
    from bot.tips import TipPoster


def tip_poster(slack: SlackSettings) -> TipPoster:
    from adapters.slack.tips import open_poster

    return open_poster(slack)


def preview(reply: Reply) -> str:
    """The mrkdwn Slack gets for ``reply``, block by block (buttons in brackets)."""
    from adapters.slack.render import render

    lines = []
    for block in render(reply).blocks:
        if block["type"] in ("header", "section"):
            lines.append(block["text"]["text"])
        elif block["type"] == "context":
            lines.append(" ".join(e["text"] for e in block["elements"]))
        elif block["type"] == "actions":
            lines.append(" ".join(f"[{e['text']['text']}]" for e in block["elements"]))
    return "\n".join(lines)


# bot.platforms.Platform(name, command, settings, tip_channels, tip_poster, preview)
PLATFORM = Platform("slack", cli.register, read_settings, tip_channels, tip_poster, preview)
