"""Schema creation and upgrades: from empty, from an older version, concurrently, and refusals."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import insert, inspect, select

from bot.errors import StoreError
from bot.store import LATEST_VERSION, LogRecord, Store
from bot.store.schema import metadata, question_log, schema_migrations
from tests.store.support import Database


def _columns(sync_conn: object) -> dict[str, set[str]]:
    inspector = inspect(sync_conn)
    return {
        name: {c["name"] for c in inspector.get_columns(name)}
        for name in inspector.get_table_names()
    }


async def test_upgrade_from_empty_creates_the_current_schema(db: Database) -> None:
    store = db.store()
    assert await store.schema_version() == 0

    assert await store.upgrade() == LATEST_VERSION

    assert await store.schema_version() == LATEST_VERSION
    async with store.engine.connect() as conn:
        columns = await conn.run_sync(_columns)
    expected = {t.name: {c.name for c in t.columns} for t in metadata.sorted_tables}
    assert columns == expected


async def test_upgrade_from_an_older_version_keeps_the_data(db: Database) -> None:
    store = db.store()
    assert await store.upgrade(target=1) == 1
    log_id = await store.log_question(
        LogRecord(
            dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
            "slack",
            "T1",
            "C1",
            "h",
            "old?",
            "abstained",
            None,
            0.1,
            3.0,
        )
    )
    async with store.engine.connect() as conn:
        assert "tip_posts" not in await conn.run_sync(_columns)

    assert await db.store().upgrade() == LATEST_VERSION

    async with store.engine.connect() as conn:
        assert "tip_posts" in await conn.run_sync(_columns)
        assert (
            await conn.scalar(select(question_log.c.question).where(question_log.c.id == log_id))
            == "old?"
        )
        versions = (await conn.execute(select(schema_migrations.c.version))).scalars().all()
    assert sorted(versions) == list(range(1, LATEST_VERSION + 1))


async def test_upgrading_twice_changes_nothing(store: Store) -> None:
    assert await store.upgrade() == LATEST_VERSION
    assert await store.schema_version() == LATEST_VERSION


async def test_a_newer_schema_is_refused_with_a_clear_message(db: Database, store: Store) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(
            insert(schema_migrations).values(
                version=LATEST_VERSION + 5,
                name="from the future",
                applied_at=dt.datetime.now(dt.UTC),
            )
        )

    with pytest.raises(StoreError, match=rf"version {LATEST_VERSION + 5}.*upgrade qabot"):
        await db.store().upgrade()


async def test_concurrent_upgrades_by_several_processes_apply_each_migration_once(
    db: Database,
) -> None:
    stores = [db.store() for _ in range(6)]

    versions = await asyncio.gather(*(s.upgrade() for s in stores))

    assert versions == [LATEST_VERSION] * 6
    async with stores[0].engine.connect() as conn:
        applied = (await conn.execute(select(schema_migrations.c.version))).scalars().all()
    assert sorted(applied) == list(range(1, LATEST_VERSION + 1))
