"""Entry ids rewritten in every table that stores them (e.g. when ids gain a source prefix)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.store import LogRecord, Store, TipLedger, stored_entry_id
from bot.store.remap import TABLES
from bot.store.schema import metadata, question_log, tip_posts
from tests.store.support import Clock

STALE = dt.timedelta(minutes=10)


def record(clock: Clock, entry_id: str | None) -> LogRecord:
    return LogRecord(clock.now, "slack", "T1", "C1", "h", "q?", "answered", entry_id, 0.9, 1.0)


async def entry_ids(store: Store) -> tuple[list[str | None], list[str]]:
    async with store.engine.connect() as conn:
        logged = (await conn.execute(select(question_log.c.entry_id))).scalars().all()
        tips = (await conn.execute(select(tip_posts.c.entry_id))).scalars().all()
    return sorted(logged, key=str), sorted(tips)


def test_every_table_with_an_entry_id_is_remapped() -> None:
    with_entry_ids = {t.name for t in metadata.sorted_tables if "entry_id" in t.columns}
    assert with_entry_ids == {t.name for t in TABLES}


async def test_ids_are_rewritten_at_once_everywhere_and_a_second_run_changes_nothing(
    store: Store, clock: Clock
) -> None:
    long_old, long_new = "faq/x#" + "a" * 400, "bundled/faq/x#" + "a" * 400
    for entry_id in ("webinars/01#q1", "webinars/01#q2", long_old, None, "gone#q"):
        await store.log_question(record(clock, entry_id))
    ledger = TipLedger(store.engine)
    await ledger.claim("slack", "C1", "2026-W47", "webinars/01#q1", clock.now, STALE)
    await ledger.claim("slack", "C1", "2026-W48", "webinars/01#q2", clock.now, STALE)
    mapping = {
        "webinars/01#q1": "webinars/01#q2",  # a chain: q1's rows go to q2, not on to q3
        "webinars/01#q2": "webinars/01#q3",
        long_old: long_new,
        "never/logged#x": "y",
    }

    assert await store.remap_entry_ids(mapping) == 5
    assert await entry_ids(store) == (
        sorted(
            [stored_entry_id(long_new), "gone#q", "webinars/01#q2", "webinars/01#q3", None],
            key=str,
        ),
        ["webinars/01#q2", "webinars/01#q3"],
    )
    assert await store.remap_entry_ids({long_old: long_new, "never/logged#x": "y"}) == 0
    assert await store.remap_entry_ids({}) == 0
