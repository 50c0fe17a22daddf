"""Typed core settings: what every command needs, with a working default for each.

Each platform reads its own settings in ``adapters/<name>/settings.py`` with the same
``bot.config.SettingsReader``, so one ``ConfigError`` reports every problem at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from bot.config import SettingsReader, port, positive_int, split_list, url
from bot.knowledge.sources import SourceSpec, bundled_sources, parse_sources
from bot.knowledge.sources import bundled_knowledge_dir as bundled_knowledge_dir  # re-export
from bot.schedule import WeeklySlot, parse_weekly_slot

T = TypeVar("T")

DEFAULT_THRESHOLD = 0.45
DEFAULT_KNOWLEDGE_REFRESH = 300.0
DEFAULT_DIGEST_SCHEDULE = WeeklySlot(0, dt.time(8, 0))  # Monday 08:00 UTC, before the tips
DEFAULT_MENTOR_LIMIT = 3  # "Ask a mentor" presses a member may make per hour


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
    embedding_model: str | None = None  # "word-vectors", "off", a folder; None: bundled model
    knowledge_refresh: float = DEFAULT_KNOWLEDGE_REFRESH  # seconds between git fetches; 0: never
    # CHANNEL_KNOWLEDGE: channel id -> the sources, folders or paths its questions are matched in
    channel_knowledge: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    digest_schedule: WeeklySlot = DEFAULT_DIGEST_SCHEDULE  # DIGEST_SCHEDULE: the host digest
    mentor_limit: int = DEFAULT_MENTOR_LIMIT  # MENTOR_LIMIT: "Ask a mentor" presses per hour

    @property
    def embedding_cache_dir(self) -> Path:
        return self.data_dir / "embeddings"


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("expected a number between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError("expected a number between 0 and 1")
    return value


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


def read_core(reader: SettingsReader) -> CoreSettings:
    """The core settings; problems are collected in ``reader``."""
    schedule = reader.parsed(
        "TIP_SCHEDULE", parse_weekly_slot, parse_weekly_slot("mon 09:00 UTC"), "weekly slot"
    )
    return CoreSettings(
        knowledge_sources=reader.parsed("KNOWLEDGE_DIR", parse_sources, bundled_sources(), "list"),
        base_url=reader.parsed("KNOWLEDGE_BASE_URL", url, None, "URL"),
        threshold=reader.parsed("ANSWER_THRESHOLD", _threshold, DEFAULT_THRESHOLD, "0..1"),
        database_url=reader.parsed("DATABASE_URL", _database_url, None, "database URL"),
        data_dir=Path(reader.raw("DATA_DIR") or "data"),
        user_id_salt=reader.raw("USER_ID_SALT"),
        log_retention_days=reader.parsed("LOG_RETENTION_DAYS", positive_int, 90, "days"),
        tip_schedule=schedule,
        metrics_port=reader.parsed("METRICS_PORT", port, None, "port"),
        log_level=reader.parsed("LOG_LEVEL", _log_level, "INFO", "level"),
        ephemeral_disk=reader.raw("DYNO") is not None,
        embedding_model=reader.raw("EMBEDDING_MODEL"),
        knowledge_refresh=reader.parsed(
            "KNOWLEDGE_REFRESH", _seconds, DEFAULT_KNOWLEDGE_REFRESH, "seconds"
        ),
        channel_knowledge=reader.parsed("CHANNEL_KNOWLEDGE", parse_channel_knowledge, {}, "list"),
        digest_schedule=reader.parsed(
            "DIGEST_SCHEDULE", parse_weekly_slot, DEFAULT_DIGEST_SCHEDULE, "weekly slot"
        ),
        mentor_limit=reader.parsed("MENTOR_LIMIT", positive_int, DEFAULT_MENTOR_LIMIT, "number"),
    )


def read_tip_channels(
    reader: SettingsReader,
    name: str,
    core: CoreSettings,
    check: Callable[[tuple[TipChannel, ...]], None] | None = None,
) -> tuple[TipChannel, ...]:
    """A platform's tip channels variable; ``check`` may reject channel ids (ValueError)."""

    def parse(text: str) -> tuple[TipChannel, ...]:
        channels = parse_tip_channels(text, core.tip_schedule)
        if check is not None:
            check(channels)
        return channels

    return reader.parsed(name, parse, (), "list of channel ids")


def read_digest_channels(
    reader: SettingsReader,
    name: str,
    core: CoreSettings,
    check: Callable[[tuple[TipChannel, ...]], None] | None = None,
) -> tuple[TipChannel, ...]:
    """A platform's host digest channels (``C1`` or ``C1=mon 08:00 UTC``), DIGEST_SCHEDULE by
    default; written like tip channels."""

    def parse(text: str) -> tuple[TipChannel, ...]:
        channels = parse_tip_channels(text, core.digest_schedule)
        if check is not None:
            check(channels)
        return channels

    return reader.parsed(name, parse, (), "list of channel ids")


def load_core_settings(environ: Mapping[str, str] | None = None) -> CoreSettings:
    """Settings every command needs; all have defaults."""
    reader = SettingsReader(environ)
    core = read_core(reader)
    reader.check()
    return core


def load_settings(
    read: Callable[[SettingsReader, CoreSettings], T], environ: Mapping[str, str] | None = None
) -> tuple[CoreSettings, T]:
    """Core settings and what ``read`` reads (a platform's): one ConfigError for every problem."""
    reader = SettingsReader(environ)
    core = read_core(reader)
    more = read(reader, core)
    reader.check()
    return core, more
