"""The one line a worker logs at start: what it runs with, so a log reader need not guess."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy.engine import URL

from bot.knowledge import KnowledgeBase
from bot.service import QABot
from bot.settings import TipChannel


def startup_line(bot: QABot, platform: str, tip_channels: Sequence[TipChannel]) -> str:
    encoder = bot.matcher.encoder
    matching = f"lexical + meaning ({encoder.name})" if encoder else "lexical only"
    tips = ", ".join(f"{c.channel} ({c.slot})" for c in tip_channels) or "none"
    metrics = f"; metrics on :{bot.settings.metrics_port}" if bot.settings.metrics_port else ""
    return (
        f"{platform} worker started; matching: {matching}; knowledge: "
        f"{describe_knowledge(bot.knowledge)}; store: {describe_store(bot.store.engine.url)}; "
        f"tip channels: {tips}{metrics}"
    )


def describe_knowledge(knowledge: KnowledgeBase) -> str:
    """``/srv/kb (1215 entries: data-engineering-zoomcamp 400, ...)``, by top-level folder."""
    sources = Counter(entry.path.split("/", 1)[0] for entry in knowledge.entries)
    parts = ", ".join(f"{name} {count}" for name, count in sorted(sources.items()))
    return f"{knowledge.directory} ({len(knowledge.entries)} entries: {parts or 'none'})"


def describe_store(url: URL) -> str:
    """The database without its password: ``sqlite data/qabot.sqlite3``, ``postgresql host/db``."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return f"sqlite {url.database}"
    where = f"{url.host}:{url.port}" if url.port else str(url.host)
    return f"{backend} {where}/{url.database}"
