"""Turn the URL a user or host hands out into the async SQLAlchemy URL the store needs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.errors import StoreError

SQLITE_FILENAME = "qabot.sqlite3"
DIR_MODE = 0o700  # the data folder holds the database and the embedding cache: owner only

# libpq's sslmode values; asyncpg takes the same words as its ``ssl`` argument.
_SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def normalise_database_url(database_url: str | None, data_dir: Path) -> URL:
    """The async driver URL for ``DATABASE_URL``; a SQLite file in ``data_dir`` when unset.

    Accepts ``postgres://`` and ``postgresql://`` (with ``?sslmode=``) and ``sqlite:///path``;
    the driver part (``+asyncpg``, ``+aiosqlite``) is chosen here, never by the user.
    """
    if not database_url:
        data_dir.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        return URL.create("sqlite+aiosqlite", database=str(data_dir / SQLITE_FILENAME))
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise StoreError(
            f"DATABASE_URL {_redacted(database_url)!r} is not a database URL; "
            "expected postgres://..., postgresql://... or sqlite:///path"
        ) from None
    backend = url.drivername.split("+", 1)[0]
    if backend in ("postgres", "postgresql"):
        return _postgres(url)
    if backend == "sqlite":
        return _sqlite(url)
    raise StoreError(
        f"DATABASE_URL scheme {url.drivername!r} is not supported; "
        "use postgres://, postgresql:// or sqlite:///path"
    )


def _postgres(url: URL) -> URL:
    query = dict(url.query)
    sslmode = query.pop("sslmode", None)
    if isinstance(sslmode, str):
        if sslmode not in _SSLMODES:
            raise StoreError(
                f"DATABASE_URL sslmode={sslmode!r} is not valid; use one of {', '.join(_SSLMODES)}"
            )
        query.setdefault("ssl", sslmode)
    return url.set(drivername="postgresql+asyncpg", query=query)


def _sqlite(url: URL) -> URL:
    if not url.database or url.database == ":memory:":
        raise StoreError(
            "DATABASE_URL must name a SQLite file (sqlite:///path/to/file.sqlite3); "
            "an in-memory database would forget everything"
        )
    Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    return url.set(drivername="sqlite+aiosqlite")


def _redacted(text: str) -> str:
    """Hide a password in a URL-like string before it goes into a message."""
    scheme, sep, rest = text.partition("://")
    if not sep or "@" not in rest:
        return text
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
