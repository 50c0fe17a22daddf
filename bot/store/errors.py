"""Tell database outages from refused data, and turn both into one readable StoreError."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from bot.errors import StoreError

# What a database call may raise when the database is down, slow or refuses a value.
DATABASE_ERRORS = (OSError, TimeoutError, SQLAlchemyError, ValueError)
# SQLSTATE classes of errors about the values sent: data exception, integrity violation.
_DATA_CLASSES = ("22", "23")


def is_data_error(exc: BaseException) -> bool:
    """True when the database (or its driver) refused a value: retrying cannot help."""
    if isinstance(exc, UnicodeError | IntegrityError):
        return True  # a string the driver cannot encode; a violated constraint
    if isinstance(exc, DBAPIError) and not exc.connection_invalidated:
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if isinstance(code, str) and code[:2] in _DATA_CLASSES:
            return True
        cause = exc.orig.__cause__ if exc.orig is not None else None
        return isinstance(exc.orig, ValueError) or isinstance(cause, ValueError)
    return isinstance(exc, ValueError) and not isinstance(exc, SQLAlchemyError)


def describe(exc: BaseException) -> str:
    reason = str(getattr(exc, "orig", None) or exc).splitlines()
    return f"{type(exc).__name__}: {reason[0] if reason else ''}"


@contextmanager
def reported_store_errors() -> Iterator[None]:
    """Re-raise database errors as StoreError; only an outage points at DATABASE_URL."""
    try:
        yield
    except (OSError, SQLAlchemyError, UnicodeError) as exc:
        if is_data_error(exc):
            raise StoreError(
                f"the database refused a value ({describe(exc)}); this is a bug in qabot, "
                "please report it with this message"
            ) from exc
        raise StoreError(
            f"the database is not usable ({describe(exc)}); "
            "check DATABASE_URL and that the database server is running"
        ) from exc
