"""Create the async engine with the per-backend settings that make concurrent use safe."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

CONNECT_TIMEOUT = 5.0  # seconds; a dead host must not hold up the writer for a minute
# The longest a SQLite statement waits for another connection's write lock. The writer's
# own bound (WRITE_TIMEOUT in writer.py) is longer, so SQLite gives up first, cleanly.
SQLITE_BUSY_TIMEOUT = 2.0
# One connection for the log writer, up to four event claims at once (each one short
# statement; more wait in memory rather than on the pool), one for the tip scheduler, prune
# or a command. A fixed size keeps N processes x 6 under a small plan's connection limit.
POSTGRES_POOL_SIZE = 6
POOL_TIMEOUT = 10.0  # seconds to wait for a free connection before the caller retries
FILE_MODE = 0o600  # the SQLite file (its -wal and -shm files copy this mode) holds user hashes


def create_engine(url: URL, *, connect_args: dict[str, Any] | None = None) -> AsyncEngine:
    """An engine for ``url`` (already normalised); ``connect_args`` extend the driver's."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, connect_args or {})
    args: dict[str, Any] = {"timeout": CONNECT_TIMEOUT, "command_timeout": 30}
    args.update(connect_args or {})
    return create_async_engine(
        url,
        pool_pre_ping=True,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=0,
        pool_timeout=POOL_TIMEOUT,
        connect_args=args,
    )


def _sqlite_engine(url: URL, extra: dict[str, Any]) -> AsyncEngine:
    path = Path(url.database or "")
    engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT, **extra})

    @event.listens_for(engine.sync_engine, "do_connect")
    def _private_files(*_args: Any) -> None:
        # Create the file owner-only before SQLite does (it would follow the umask, often
        # 0644), and tighten one an earlier release created.
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))
        for name in (path, *(Path(f"{path}{suffix}") for suffix in ("-wal", "-shm", "-journal"))):
            if name.exists() and name.stat().st_mode & 0o077:
                name.chmod(FILE_MODE)

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode")
        if cursor.fetchone()[0] != "wal":
            # Readers never block the writer, nor the writer readers. Switching needs the file
            # to itself for a moment; if another process is writing, a later connection will.
            with contextlib.suppress(dbapi_connection.dbapi.OperationalError):
                cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        # A connection may ask to wait longer for the lock (migrations); the rest use the default.
        options = conn.get_execution_options()
        wait = options.get("busy_timeout", SQLITE_BUSY_TIMEOUT)
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        if options.get("read_only"):
            # A long read (qabot report) must not hold the write lock: in WAL mode a plain
            # BEGIN reads a snapshot beside the writer and beside other readers.
            conn.exec_driver_sql("BEGIN")
            return
        # Take the write lock up front: a deferred transaction that later writes can fail with
        # "database is locked" without waiting, which would break claims under concurrency.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
