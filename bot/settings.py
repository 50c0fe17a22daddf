"""Typed settings: the only code that reads the environment.

Every setting but the platform tokens has a working default. Loading reports every missing
or invalid variable at once, through one ``ConfigError``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from bot.errors import ConfigError
from bot.knowledge.sources import SourceSpec, bundled_sources, parse_sources
from bot.knowledge.sources import bundled_knowledge_dir as bundled_knowledge_dir  # re-export
from bot.schedule import WeeklySlot, parse_weekly_slot

T = TypeVar("T")

DEFAULT_THRESHOLD = 0.45
DEFAULT_DISCORD_API_URL = "https://discord.com/api/v10"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_KNOWLEDGE_REFRESH = 300.0


@dataclass(frozen=True, slots=True)
class TipChannel:
    """A channel that gets weekly tips, at its own slot or the default one."""

    channel: str
    slot: WeeklySlot


@dataclass(frozen=True, slots=True)
class CoreSettings:
    knowledge_sources: tuple[SourceSpec, ...]  # KNOWLEDGE_DIR (bot.knowledge.sources)
    base_url: str | None
    threshold: float
    database_url: str | None
    data_dir: Path
    user_id_salt: str | None
    log_retention_days: int
    tip_schedule: WeeklySlot
    metrics_port: int | None
    log_level: str
    ephemeral_disk: bool = False  # DYNO is set: a Heroku-style host wipes the disk on restart
    embedding_model: str | None = None  # sentence-transformers model, "off"; None: word vectors
    knowledge_refresh: float = DEFAULT_KNOWLEDGE_REFRESH  # seconds between git fetches; 0: never
    # CHANNEL_KNOWLEDGE: channel id -> the sources, folders or paths its questions are matched in
    channel_knowledge: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def embedding_cache_dir(self) -> Path:
        return self.data_dir / "embeddings"


@dataclass(frozen=True, slots=True)
class SlackSettings:
    bot_token: str
    signing_secret: str | None
    app_token: str | None
    api_url: str
    tip_channels: tuple[TipChannel, ...]
    answer_in_channel: bool  # False: /ask answers only to the asker
    port: int


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    token: str
    guild_ids: tuple[int, ...]
    tip_channels: tuple[TipChannel, ...]
    api_url: str
    gateway_url: str | None
    mention_limit: int  # mentions a user may make ...
    mention_window: float  # ... within this many seconds


class _Reader:
    """Reads variables from a mapping, collecting every problem instead of stopping at one."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.problems: list[str] = []

    def raw(self, name: str) -> str | None:
        value = self.environ.get(name, "").strip()
        return value or None

    def required(self, name: str, hint: str) -> str:
        value = self.raw(name)
        if value is None:
            self.problems.append(f"{name} is not set: {hint}")
            return ""
        return value

    def parsed(self, name: str, parse: Callable[[str], T], default: T, expected: str) -> T:
        value = self.raw(name)
        if value is None:
            return default
        try:
            return parse(value)
        except ValueError as exc:
            detail = str(exc) if str(exc) else expected
            self.problems.append(f"{name}={value!r} is invalid: {detail}")
            return default

    def check(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("expected a number between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError("expected a number between 0 and 1")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError("expected a whole number") from None
    if value <= 0:
        raise ValueError("expected a number above 0")
    return value


def _port(text: str) -> int:
    value = _positive_int(text)
    if value > 65535:
        raise ValueError("expected a port number from 1 to 65535")
    return value


def _url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        raise ValueError("expected an absolute http(s) or ws(s) URL")
    return text


def _database_url(text: str) -> str:
    scheme = text.split("://", 1)[0].split("+", 1)[0].lower() if "://" in text else ""
    if scheme not in ("postgres", "postgresql", "sqlite"):
        raise ValueError("expected postgres://, postgresql:// or sqlite:///path")
    return text


def _log_level(text: str) -> str:
    level = text.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return level


def _visibility(text: str) -> bool:
    value = text.lower()
    if value not in ("channel", "asker"):
        raise ValueError("expected 'channel' or 'asker'")
    return value == "channel"


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


def _seconds(text: str) -> float:
    try:
        value = float(text.removesuffix("s"))
    except ValueError:
        raise ValueError("expected a number of seconds, 0 for never") from None
    if value < 0:
        raise ValueError("expected a number of seconds, 0 for never")
    return value


def parse_channel_knowledge(text: str) -> dict[str, tuple[str, ...]]:
    """``"C0123=data-engineering-zoomcamp+webinars, 1122=mlops-zoomcamp"``: channel -> names.

    A name is a source, a folder inside one (a course of the FAQ), or a path in a source
    (``faq/_questions/llm-zoomcamp``); ``+`` joins several.
    """
    mapping: dict[str, tuple[str, ...]] = {}
    for item in split_list(text):
        channel, sep, names = (part.strip() for part in item.partition("="))
        scopes = tuple(name.strip() for name in names.split("+") if name.strip())
        if not sep or not channel or not scopes:
            raise ValueError(f"expected CHANNEL=NAME[+NAME...], not {item!r}")
        if channel in mapping:
            raise ValueError(f"channel {channel!r} is listed twice")
        mapping[channel] = scopes
    return mapping


def split_list(text: str) -> list[str]:
    """Split a comma-separated list, ignoring spaces and empty items."""
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_tip_channels(text: str, default: WeeklySlot) -> tuple[TipChannel, ...]:
    """``"C1, C2=wed 10:00 Europe/Berlin"``: channel ids, each optionally with its own slot."""
    channels = []
    for item in split_list(text):
        channel, _, slot = item.partition("=")
        if not channel.strip():
            raise ValueError(f"missing channel id in {item!r}")
        channels.append(
            TipChannel(channel.strip(), parse_weekly_slot(slot) if slot.strip() else default)
        )
    return tuple(channels)


def _discord_channels(text: str, default: WeeklySlot) -> tuple[TipChannel, ...]:
    channels = parse_tip_channels(text, default)
    bad = [c.channel for c in channels if not c.channel.isdigit()]
    if bad:
        raise ValueError(
            f"channel ids are numbers, not {', '.join(map(repr, bad))} (Developer Mode, "
            "right-click the channel, Copy Channel ID)"
        )
    return channels


def _core(reader: _Reader) -> CoreSettings:
    schedule = reader.parsed(
        "TIP_SCHEDULE", parse_weekly_slot, parse_weekly_slot("mon 09:00 UTC"), "weekly slot"
    )
    return CoreSettings(
        knowledge_sources=reader.parsed("KNOWLEDGE_DIR", parse_sources, bundled_sources(), "list"),
        base_url=reader.parsed("KNOWLEDGE_BASE_URL", _url, None, "URL"),
        threshold=reader.parsed("ANSWER_THRESHOLD", _threshold, DEFAULT_THRESHOLD, "0..1"),
        database_url=reader.parsed("DATABASE_URL", _database_url, None, "database URL"),
        data_dir=Path(reader.raw("DATA_DIR") or "data"),
        user_id_salt=reader.raw("USER_ID_SALT"),
        log_retention_days=reader.parsed("LOG_RETENTION_DAYS", _positive_int, 90, "days"),
        tip_schedule=schedule,
        metrics_port=reader.parsed("METRICS_PORT", _port, None, "port"),
        log_level=reader.parsed("LOG_LEVEL", _log_level, "INFO", "level"),
        ephemeral_disk=reader.raw("DYNO") is not None,
        embedding_model=reader.raw("EMBEDDING_MODEL"),
        knowledge_refresh=reader.parsed(
            "KNOWLEDGE_REFRESH", _seconds, DEFAULT_KNOWLEDGE_REFRESH, "seconds"
        ),
        channel_knowledge=reader.parsed("CHANNEL_KNOWLEDGE", parse_channel_knowledge, {}, "list"),
    )


def load_core_settings(environ: Mapping[str, str] | None = None) -> CoreSettings:
    """Settings every command needs; all have defaults."""
    reader = _Reader(os.environ if environ is None else environ)
    core = _core(reader)
    reader.check()
    return core


def load_slack_settings(
    environ: Mapping[str, str] | None = None, *, mode: Literal["socket", "http", "api"] = "socket"
) -> tuple[CoreSettings, SlackSettings]:
    """Core and Slack settings for one way of running.

    ``socket`` (Socket Mode) needs SLACK_APP_TOKEN, ``http`` needs SLACK_SIGNING_SECRET, and
    ``api`` (Web API calls only, e.g. ``qabot tips post``) needs just the bot token.
    """
    reader = _Reader(os.environ if environ is None else environ)
    core = _core(reader)
    token = reader.required("SLACK_BOT_TOKEN", "the bot token (xoxb-...) from OAuth & Permissions")
    if token and not token.startswith("xoxb-"):
        reader.problems.append("SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-'")
    app_token = reader.raw("SLACK_APP_TOKEN")
    secret = reader.raw("SLACK_SIGNING_SECRET")
    if mode == "http" and secret is None:
        reader.problems.append(
            "SLACK_SIGNING_SECRET is not set: HTTP mode verifies every request with it "
            "(Basic Information page of the Slack app)"
        )
    if mode == "socket" and app_token is None:
        reader.problems.append(
            "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-...) "
            "with connections:write; or run 'qabot slack --http' with SLACK_SIGNING_SECRET"
        )
    if app_token and not app_token.startswith("xapp-"):
        reader.problems.append("SLACK_APP_TOKEN must be an app-level token starting with 'xapp-'")
    slack = SlackSettings(
        bot_token=token,
        signing_secret=secret,
        app_token=app_token,
        api_url=reader.parsed("SLACK_API_URL", _url, DEFAULT_SLACK_API_URL, "URL"),
        tip_channels=reader.parsed(
            "SLACK_TIP_CHANNELS", lambda t: parse_tip_channels(t, core.tip_schedule), (), "list"
        ),
        answer_in_channel=reader.parsed("SLACK_ASK_VISIBILITY", _visibility, True, "visibility"),
        port=reader.parsed("PORT", _port, 3000, "port"),
    )
    reader.check()
    return core, slack


def load_discord_settings(
    environ: Mapping[str, str] | None = None,
) -> tuple[CoreSettings, DiscordSettings]:
    reader = _Reader(os.environ if environ is None else environ)
    core = _core(reader)
    limit, window = reader.parsed("DISCORD_MENTION_COOLDOWN", _cooldown, (5, 60.0), "")
    discord = DiscordSettings(
        token=reader.required("DISCORD_TOKEN", "the bot token (Developer Portal, Bot page)"),
        guild_ids=reader.parsed("DISCORD_GUILD_IDS", _guild_ids, (), "guild ids"),
        tip_channels=reader.parsed(
            "DISCORD_TIP_CHANNELS", lambda t: _discord_channels(t, core.tip_schedule), (), "list"
        ),
        api_url=reader.parsed("DISCORD_API_URL", _url, DEFAULT_DISCORD_API_URL, "URL").rstrip("/"),
        gateway_url=reader.parsed("DISCORD_GATEWAY_URL", _url, None, "URL"),
        mention_limit=limit,
        mention_window=window,
    )
    reader.check()
    return core, discord
