"""At start, rows logged under an id of before sources had names point at today's entry."""

from __future__ import annotations

from sqlalchemy import select

from bot.metrics import Metrics
from bot.service import QABot
from bot.store import LogRecord, Store
from bot.store.schema import question_log
from tests.store.support import Clock, Database

OLD = "01-a-day-of-ai-engineer#is-the-data-scientist-role-outdated"  # KNOWLEDGE_DIR=…/webinars


async def test_start_remaps_ids_logged_with_the_old_scheme(
    db: Database, store: Store, clock: Clock
) -> None:
    for entry_id in (OLD, "gone#entry", None):
        record = LogRecord(
            clock.now, "slack", "T1", "C1", "h", "q?", "answered", entry_id, 0.9, 1.0
        )
        await store.log_question(record)

    bot = await QABot.start(db.settings(), clock=clock, store=db.store(), metrics=Metrics())
    try:
        async with bot.store.engine.connect() as conn:
            logged = (await conn.execute(select(question_log.c.entry_id))).scalars().all()
        assert sorted(logged, key=str) == sorted(["gone#entry", "webinars/" + OLD, None], key=str)
        assert bot.knowledge.get("webinars/" + OLD) is not None
        assert await bot.remap_entry_ids() == 0  # a second start changes nothing
    finally:
        await bot.close(within=1.0)
