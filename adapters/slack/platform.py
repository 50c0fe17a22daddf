"""Slack as the core sees it: the ``qabot.platforms`` entry point (slack-bolt loads on use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.slack import cli
from adapters.slack.settings import SlackSettings, read_settings, tip_channels
from bot.platforms import Platform

if TYPE_CHECKING:
    from bot.tips import TipPoster


def tip_poster(slack: SlackSettings) -> TipPoster:
    from adapters.slack.tips import open_poster

    return open_poster(slack)


# bot.platforms.Platform(name, command, settings, tip_channels, tip_poster)
PLATFORM = Platform("slack", cli.register, read_settings, tip_channels, tip_poster)
