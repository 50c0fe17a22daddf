"""Schema creation and upgrades (Alembic): from empty, from the former runner, concurrently."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, select, text

from bot.errors import StoreError
from bot.store import LATEST_VERSION, Store
from bot.store.migrate import SCRIPTS
from bot.store.schema import (
    feedback,
    metadata,
    processed_events,
    question_log,
    schema_migrations,
    tip_posts,
)
from bot.store.schema import settings as settings_table
from tests.store.support import Database

LEGACY = Path(__file__).with_name("legacy")


def _columns(sync_conn: Connection) -> dict[str, set[str]]:
    inspector = inspect(sync_conn)
    return {
        name: {c["name"] for c in inspector.get_columns(name)}
        for name in inspector.get_table_names()
    }


def _differences(sync_conn: Connection) -> list[object]:
    context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def load_sql(db: Database, store: Store, name: str) -> None:
    """Run a fixture SQL file (one statement per ``;`` at a line end) in ``db``."""
    script = (LEGACY / f"{name}.{store.backend}.sql").read_text()
    statements = [s for s in re.split(r";\s*\n", script) if s.strip()]
    async with store.engine.begin() as conn:
        for statement in statements:
            body = "\n".join(line for line in statement.splitlines() if not line.startswith("--"))
            if body.strip():
                await conn.exec_driver_sql(body)


async def test_upgrade_from_empty_creates_the_current_schema(db: Database) -> None:
    store = db.store()
    assert await store.schema_version() == 0

    assert await store.upgrade() == LATEST_VERSION

    assert await store.schema_version() == LATEST_VERSION
    async with store.engine.connect() as conn:
        columns = await conn.run_sync(_columns)
        assert await conn.run_sync(_differences) == []
    expected = {t.name: {c.name for c in t.columns} for t in metadata.sorted_tables}
    assert columns == {**expected, "alembic_version": {"version_num"}}


async def test_a_database_of_the_former_runner_is_adopted_and_keeps_its_data(
    db: Database,
) -> None:
    store = db.store()
    await load_sql(db, store, "schema-v2")
    assert await store.schema_version() == 2

    assert await db.store().upgrade() == LATEST_VERSION

    async with store.engine.connect() as conn:
        assert await conn.run_sync(_differences) == []
        questions = (await conn.execute(select(question_log).order_by("asked_at"))).all()
        votes = (await conn.execute(select(feedback.c.log_id, feedback.c.vote))).all()
        salt = await conn.scalar(select(settings_table.c.value))
        events = (await conn.execute(select(processed_events.c.event_id))).scalars().all()
        tips = (await conn.execute(select(tip_posts.c.entry_id, tip_posts.c.iso_week))).all()
        versions = (await conn.execute(select(schema_migrations.c.version))).scalars().all()
    assert [(q.id, q.question, q.entry_id) for q in questions] == [
        (1, "old answered?", "webinars/01-test#q1"),
        (2, "old abstained?", None),
    ]
    assert votes == [(1, "down")] and salt == "legacy-salt" and events == ["Ev-legacy"]
    assert tips == [("webinars/01-test#q1", "2026-W47")]
    # The former runner refuses a database whose highest version it does not know (3 > 2).
    assert sorted(versions) == [1, 2, 3]
    # Old rows keep working: votes on them, and new rows next to them.
    assert await store.vote(1, "h3", "up", dt.datetime(2026, 11, 25, tzinfo=dt.UTC))
    assert await store.votes(1) == {"up": 1, "down": 1}


async def test_upgrade_from_an_older_revision_keeps_the_data(db: Database) -> None:
    store = db.store()
    assert await store.upgrade(target=2) == 2
    async with store.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO question_log (asked_at, platform, question, outcome, score, "
                "latency_ms) VALUES (:at, 'slack', 'old?', 'abstained', 0.1, 3.0)"
            ),
            {"at": dt.datetime(2026, 11, 20, tzinfo=dt.UTC)},
        )
        assert "embedding_cache" not in await conn.run_sync(_columns)

    assert await db.store().upgrade() == LATEST_VERSION

    async with store.engine.connect() as conn:
        assert "embedding_cache" in await conn.run_sync(_columns)
        assert (await conn.execute(select(question_log.c.question))).scalars().all() == ["old?"]


async def test_upgrading_twice_changes_nothing(store: Store) -> None:
    assert await store.upgrade() == LATEST_VERSION
    assert await store.schema_version() == LATEST_VERSION


async def test_a_newer_schema_is_refused_with_a_clear_message(db: Database, store: Store) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))

    with pytest.raises(StoreError, match=r"version 99, but this qabot only knows .*upgrade qabot"):
        await db.store().upgrade()
    with pytest.raises(StoreError, match="version 99"):
        await db.store().schema_version()


async def test_concurrent_upgrades_by_several_processes_apply_each_migration_once(
    db: Database,
) -> None:
    stores = [db.store() for _ in range(6)]

    versions = await asyncio.gather(*(s.upgrade() for s in stores))

    assert versions == [LATEST_VERSION] * 6
    async with stores[0].engine.connect() as conn:
        heads = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        legacy = (await conn.execute(select(schema_migrations.c.version))).scalars().all()
    assert heads == [(f"{LATEST_VERSION:04d}",)]
    assert sorted(legacy) == [1, 2, 3]


def test_revisions_are_numbered_one_after_another_up_to_the_latest_version() -> None:
    scripts = ScriptDirectory(str(SCRIPTS))
    chain = [r.revision for r in reversed(list(scripts.walk_revisions()))]

    assert chain == [f"{n:04d}" for n in range(1, LATEST_VERSION + 1)]
    assert scripts.get_current_head() == f"{LATEST_VERSION:04d}"
