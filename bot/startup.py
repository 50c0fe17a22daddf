"""The one line a worker logs at start: what it runs with, so a log reader need not guess."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy.engine import URL

from bot.knowledge import KnowledgeBase
from bot.service import QABot
from bot.settings import TipChannel


def startup_line(bot: QABot, platform: str, tip_channels: Sequence[TipChannel]) -> str:
    matching = describe_matching(bot)
    tips = ", ".join(f"{c.channel} ({c.slot})" for c in tip_channels) or "none"
    metrics = f"; metrics on :{bot.settings.metrics_port}" if bot.settings.metrics_port else ""
    return (
        f"{platform} worker started; matching: {matching}; knowledge: "
        f"{describe_knowledge(bot.knowledge)}; store: {describe_store(bot.store.engine.url)}; "
        f"tip channels: {tips}{metrics}"
    )


def describe_matching(bot: QABot) -> str:
    """``lexical + meaning (word-vectors; all-MiniLM-L6-v2-int8 once the entries are encoded)``."""
    encoder = bot.matcher.encoder
    if encoder is None:
        return "lexical only"
    later = bot.live.target
    if bot.live.sharpened or later is None:
        return f"lexical + meaning ({encoder.name})"
    return f"lexical + meaning ({encoder.name}; {later.name} once the entries are encoded)"


def describe_knowledge(knowledge: KnowledgeBase) -> str:
    """``faq,webinars (1233 entries: faq 1210, webinars 23)``: entries by source."""
    counts = Counter(entry.source for entry in knowledge.entries)
    names = knowledge.source_names or tuple(sorted(counts))
    parts = ", ".join(f"{name} {counts[name]}" for name in names)
    return f"{','.join(names) or 'none'} ({len(knowledge.entries)} entries: {parts or 'none'})"


def describe_store(url: URL) -> str:
    """The database without its password: ``sqlite data/qabot.sqlite3``, ``postgresql host/db``."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return f"sqlite {url.database}"
    where = f"{url.host}:{url.port}" if url.port else str(url.host)
    return f"{backend} {where}/{url.database}"
