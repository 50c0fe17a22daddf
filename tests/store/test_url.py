"""DATABASE_URL as hosts hand it out -> the async driver URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.store import normalise_database_url


def test_unset_means_a_sqlite_file_in_the_data_folder(tmp_path: Path) -> None:
    url = normalise_database_url(None, tmp_path / "data")

    assert url.drivername == "sqlite+aiosqlite"
    assert url.database == str(tmp_path / "data" / "qabot.sqlite3")
    assert (tmp_path / "data").is_dir()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "postgres://u:p@db.example.com:5432/app",
            "postgresql+asyncpg://u:p@db.example.com:5432/app",
        ),
        ("postgresql://u@h/app", "postgresql+asyncpg://u@h/app"),
        ("postgres://u:p@h/app?sslmode=require", "postgresql+asyncpg://u:p@h/app?ssl=require"),
        ("postgresql://h/app?sslmode=verify-full", "postgresql+asyncpg://h/app?ssl=verify-full"),
        ("postgresql+asyncpg://h/app", "postgresql+asyncpg://h/app"),
    ],
)
def test_postgres_urls_get_the_asyncpg_driver_and_ssl(given: str, expected: str) -> None:
    url = normalise_database_url(given, Path())

    assert url.render_as_string(hide_password=False) == expected


def test_sqlite_url_selects_a_file_and_creates_its_folder(tmp_path: Path) -> None:
    url = normalise_database_url(f"sqlite:///{tmp_path}/state/bot.db", Path("unused"))

    assert url.drivername == "sqlite+aiosqlite"
    assert url.database == f"{tmp_path}/state/bot.db"
    assert (tmp_path / "state").is_dir()


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("mysql://u:secret@h/app", "not supported"),
        ("postgres://u:secret@h/app?sslmode=sometimes", "sslmode"),
        ("sqlite://", "SQLite file"),
        ("sqlite:///:memory:", "SQLite file"),
        ("not a url at all", "not a database URL"),
    ],
)
def test_unusable_urls_are_refused_with_a_clear_message(given: str, message: str) -> None:
    with pytest.raises(StoreError, match=message) as caught:
        normalise_database_url(given, Path())

    assert "secret" not in str(caught.value)
