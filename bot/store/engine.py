"""Create the async engine with the per-backend settings that make concurrent use safe."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

CONNECT_TIMEOUT = 5.0  # seconds; a dead host must not hold up answers for a minute
SQLITE_BUSY_TIMEOUT = 30.0  # seconds another process may hold the write lock


def create_engine(url: URL, *, connect_args: dict[str, Any] | None = None) -> AsyncEngine:
    """An engine for ``url`` (already normalised); ``connect_args`` extend the driver's."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, connect_args or {})
    args: dict[str, Any] = {"timeout": CONNECT_TIMEOUT, "command_timeout": 30}
    args.update(connect_args or {})
    return create_async_engine(url, pool_pre_ping=True, pool_size=5, connect_args=args)


def _sqlite_engine(url: URL, extra: dict[str, Any]) -> AsyncEngine:
    engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT, **extra})

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        # Take the write lock up front: a deferred transaction that later writes can fail with
        # "database is locked" without waiting, which would break claims under concurrency.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
