"""Discord's settings, read with the core's ``SettingsReader`` (no discord.py imported)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from bot.config import SettingsReader, split_list, url
from bot.schedule import WeeklySlot
from bot.settings import CoreSettings, TipChannel, read_digest_channels, read_tip_channels
from bot.settings import load_settings as load_with

DEFAULT_API_URL = "https://discord.com/api/v10"


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    token: str
    guild_ids: tuple[int, ...]
    tip_channels: tuple[TipChannel, ...]
    api_url: str
    gateway_url: str | None
    mention_limit: int  # mentions a user may make ...
    mention_window: float  # ... within this many seconds
    digest_channels: tuple[TipChannel, ...] = ()  # DISCORD_HOST_DIGEST_CHANNEL
    mentor_channel: str | None = None  # DISCORD_MENTOR_CHANNEL; unset: no "Ask a mentor"


def _cooldown(text: str) -> tuple[int, float]:
    count, sep, seconds = text.partition("/")
    try:
        parsed = (int(count), float(seconds.rstrip("s")) if sep else 60.0)
    except ValueError:
        raise ValueError("expected '<mentions>/<seconds>', e.g. '5/60'") from None
    if parsed[0] <= 0 or parsed[1] <= 0:
        raise ValueError("expected positive numbers, e.g. '5/60'")
    return parsed


def _guild_ids(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in split_list(text))
    except ValueError:
        raise ValueError("expected comma-separated numeric guild ids") from None


def _numeric(channels: tuple[TipChannel, ...]) -> None:
    bad = [c.channel for c in channels if not c.channel.isdigit()]
    if bad:
        raise ValueError(
            f"channel ids are numbers, not {', '.join(map(repr, bad))} (Developer Mode, "
            "right-click the channel, Copy Channel ID)"
        )


def tip_channels(reader: SettingsReader, core: CoreSettings) -> tuple[TipChannel, ...]:
    return read_tip_channels(reader, "DISCORD_TIP_CHANNELS", core, _numeric)


def _channel_id(text: str) -> str:
    _numeric((TipChannel(text, WeeklySlot(0, dt.time())),))
    return text.strip()


def read_settings(reader: SettingsReader, core: CoreSettings) -> DiscordSettings:
    """Discord settings; problems are collected in ``reader``."""
    limit, window = reader.parsed("DISCORD_MENTION_COOLDOWN", _cooldown, (5, 60.0), "")
    return DiscordSettings(
        token=reader.required("DISCORD_TOKEN", "the bot token (Developer Portal, Bot page)"),
        guild_ids=reader.parsed("DISCORD_GUILD_IDS", _guild_ids, (), "guild ids"),
        tip_channels=tip_channels(reader, core),
        api_url=reader.parsed("DISCORD_API_URL", url, DEFAULT_API_URL, "URL").rstrip("/"),
        gateway_url=reader.parsed("DISCORD_GATEWAY_URL", url, None, "URL"),
        mention_limit=limit,
        mention_window=window,
        digest_channels=read_digest_channels(reader, "DISCORD_HOST_DIGEST_CHANNEL", core, _numeric),
        mentor_channel=reader.parsed("DISCORD_MENTOR_CHANNEL", _channel_id, None, "channel id"),
    )


def load_settings(
    environ: Mapping[str, str] | None = None,
) -> tuple[CoreSettings, DiscordSettings]:
    """Core and Discord settings; one ConfigError lists every problem."""
    return load_with(read_settings, environ)
