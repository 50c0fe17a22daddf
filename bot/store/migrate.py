"""Create or upgrade the schema with the Alembic revisions in ``migrations/``, under a lock.

Revisions are numbered ``0001``, ``0002``, ...; the number is the schema version that
``qabot db upgrade`` reports. Every revision runs in one transaction that first takes the lock
(an advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so concurrent starts are safe.
A database made by the hand-written runner of earlier releases (a ``schema_migrations`` table
and no ``alembic_version``) is stamped with the revision that reproduces its version, then
upgraded like any other. Never edit a released revision; add a new one.
"""

from __future__ import annotations

import functools
import logging
import zlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import StoreError
from bot.store import schema

log = logging.getLogger(__name__)

LATEST_VERSION = 6  # the newest revision's number; a test keeps it in step with the scripts
SCRIPTS = Path(__file__).with_name("migrations")
# The same key as the hand-written runner, so old and new processes exclude each other.
ADVISORY_LOCK_KEY = zlib.crc32(b"qabot.schema_migrations")
MIGRATION_LOCK_WAIT = 60.0  # seconds a start waits on SQLite for another process's migration
# Versions of the hand-written runner -> the revision that creates exactly that schema.
LEGACY_REVISIONS = {1: "0001", 2: "0002"}


def revision_of(version: int) -> str:
    return f"{version:04d}"


async def upgrade(engine: AsyncEngine, *, target: int | None = None) -> int:
    """Create or upgrade the schema to ``target`` (default: latest); return the version reached.

    Raises StoreError when the database was created by a newer qabot.
    """
    goal = LATEST_VERSION if target is None else target
    async with engine.connect() as conn:
        await conn.execution_options(busy_timeout=MIGRATION_LOCK_WAIT)
        return await conn.run_sync(_upgrade, goal)


async def current_version(engine: AsyncEngine) -> int:
    """The schema version of the database; 0 when it is empty."""
    async with engine.connect() as conn:
        return await conn.run_sync(_read_version)


def _upgrade(conn: Connection, goal: int) -> int:
    with conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
        current = _adopt_legacy(conn)
        if goal > current:
            config = Config()
            config.set_main_option("script_location", str(SCRIPTS))
            config.attributes["connection"] = conn
            log.info("upgrading the database schema from version %d to %d", current, goal)
            command.upgrade(config, revision_of(goal))
        return max(current, goal)


def _adopt_legacy(conn: Connection) -> int:
    """The current version; a database of the hand-written runner is stamped first."""
    context = MigrationContext.configure(conn)
    if context.get_current_heads():
        return _read_version(conn)
    legacy = _legacy_version(conn)
    if legacy == 0:
        return 0
    if legacy not in LEGACY_REVISIONS:
        raise _newer(legacy)
    context.stamp(_scripts(), LEGACY_REVISIONS[legacy])
    log.info("adopted a database of the former migration runner at version %d", legacy)
    return legacy


def _read_version(conn: Connection) -> int:
    heads = MigrationContext.configure(conn).get_current_heads()
    if not heads:
        return _legacy_version(conn)
    if len(heads) > 1:
        raise StoreError(f"the database schema has several heads ({', '.join(heads)})")
    head = heads[0]
    try:
        _scripts().get_revision(head)
    except CommandError:
        raise _newer(head) from None
    return int(head)


def _legacy_version(conn: Connection) -> int:
    if not inspect(conn).has_table(schema.schema_migrations.name):
        return 0
    version = conn.execute(select(func.max(schema.schema_migrations.c.version))).scalar()
    return int(version or 0)


def _newer(found: int | str) -> StoreError:
    version = int(found) if str(found).isdigit() else found
    return StoreError(
        f"the database schema is at version {version}, but this qabot only knows versions up "
        f"to {LATEST_VERSION}; upgrade qabot, or point DATABASE_URL at another database"
    )


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(SCRIPTS))
