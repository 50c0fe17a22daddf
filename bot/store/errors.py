"""Turn driver and network errors from the database into one readable StoreError (for commands)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError

from bot.errors import StoreError


@contextmanager
def reported_store_errors() -> Iterator[None]:
    try:
        yield
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise StoreError(
            f"the database is not usable ({type(exc).__name__}: {reason}); "
            "check DATABASE_URL and that the database server is running"
        ) from exc
