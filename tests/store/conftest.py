"""Store fixtures: every test that takes ``db`` runs on SQLite (tmp_path) and on PostgreSQL.

PostgreSQL comes from TEST_DATABASE_URL; each test gets its own schema (search_path), dropped
afterwards, so tests are independent even when other suites share the database. When it is
unreachable, the PostgreSQL variants are skipped with the reason (they fail instead when
QABOT_REQUIRE_POSTGRES=1, as in CI).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.schema import CreateSchema, DropSchema

from bot.store import Store, normalise_database_url
from bot.store.engine import create_engine
from tests.store.support import PG_URL, Clock, Database, Knowledge, entry, postgres_unavailable
from tests.support.throwaway_postgres import throwaway_postgres  # noqa: F401


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        database = Database("sqlite", f"sqlite:///{tmp_path / 'db' / 'qabot.sqlite3'}", tmp_path)
        yield database
        for store in database.opened:
            await store.close()
        return
    reason = postgres_unavailable()
    if reason and os.environ.get("QABOT_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason} (QABOT_REQUIRE_POSTGRES=1: CI must run these tests)")
    if reason:
        pytest.skip(reason)
    schema = f"qabot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_database_url(PG_URL, tmp_path))
    async with admin.begin() as conn:
        await conn.execute(CreateSchema(schema))
    database = Database("postgres", PG_URL, tmp_path, {"server_settings": {"search_path": schema}})
    try:
        yield database
    finally:
        for store in database.opened:
            await store.close()
        async with admin.begin() as conn:
            await conn.execute(DropSchema(schema, cascade=True))
        await admin.dispose()


@pytest.fixture
async def store(db: Database) -> Store:
    store = db.store()
    await store.upgrade()
    return store


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC))  # Wednesday of 2026-W48


@pytest.fixture
def knowledge() -> Knowledge:
    return Knowledge(tuple(entry(n) for n in range(1, 6)))


@pytest.fixture
def sleeps() -> list[float]:
    return []
