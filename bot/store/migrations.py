"""Versioned schema migrations, applied under a lock so concurrent starts are safe.

Each migration runs in one transaction with the version row it records. Never edit a released
migration; add a new one. If a migration ever changes an existing table, give the older steps
their own snapshot of that table instead of the shared definitions in ``schema``.
"""

from __future__ import annotations

import datetime as dt
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.errors import StoreError
from bot.store import schema

log = logging.getLogger(__name__)

# One key for every qabot process that shares a PostgreSQL database.
ADVISORY_LOCK_KEY = zlib.crc32(b"qabot.schema_migrations")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection], None]


def _create(*tables: str) -> Callable[[Connection], None]:
    def apply(conn: Connection) -> None:
        for name in tables:
            schema.metadata.tables[name].create(conn)

    return apply


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "question log, feedback and settings",
        _create("schema_migrations", "settings", "question_log", "feedback"),
    ),
    Migration(2, "processed events and weekly tip posts", _create("processed_events", "tip_posts")),
)
LATEST_VERSION = MIGRATIONS[-1].version


async def upgrade(engine: AsyncEngine, *, target: int | None = None) -> int:
    """Create or upgrade the schema to ``target`` (default: latest); return the version reached.

    Raises StoreError when the database was created by a newer qabot.
    """
    goal = LATEST_VERSION if target is None else target
    async with engine.begin() as conn:
        await _lock(conn)
        current = await conn.run_sync(_current_version)
        if current > LATEST_VERSION:
            raise StoreError(
                f"the database schema is at version {current}, but this qabot only knows "
                f"versions up to {LATEST_VERSION}; upgrade qabot, or point DATABASE_URL at "
                "another database"
            )
        for migration in MIGRATIONS[current:goal]:
            log.info("applying schema migration %d: %s", migration.version, migration.name)
            await conn.run_sync(migration.apply)
            await conn.execute(
                insert(schema.schema_migrations).values(
                    version=migration.version,
                    name=migration.name,
                    applied_at=dt.datetime.now(dt.UTC),
                )
            )
        return max(current, goal)


async def current_version(engine: AsyncEngine) -> int:
    """The schema version recorded in the database; 0 when it is empty."""
    async with engine.connect() as conn:
        return await conn.run_sync(_current_version)


async def _lock(conn: AsyncConnection) -> None:
    # SQLite already holds its write lock (BEGIN IMMEDIATE, see engine.py); PostgreSQL takes a
    # transaction-level advisory lock, released at commit or rollback.
    if conn.dialect.name == "postgresql":
        await conn.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))


def _current_version(conn: Connection) -> int:
    if not inspect(conn).has_table(schema.schema_migrations.name):
        return 0
    version = conn.execute(select(func.max(schema.schema_migrations.c.version))).scalar()
    return int(version or 0)
