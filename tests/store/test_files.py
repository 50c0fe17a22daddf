"""The data folder and the SQLite files are the owner's only (they hold user hashes)."""

from __future__ import annotations

import stat
from pathlib import Path

from bot.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_data_folder_is_0700_and_the_database_files_0600(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = Store.connect(None, data)
    await store.upgrade()
    await store.salt()

    files = sorted(p.name for p in data.iterdir())
    assert mode(data) == 0o700
    assert {mode(data / name) for name in files} == {0o600}
    assert "qabot.sqlite3" in files and "qabot.sqlite3-wal" in files
    await store.close()


async def test_a_database_file_an_earlier_release_left_readable_is_tightened(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    path.touch(mode=0o644)
    path.chmod(0o644)
    store = Store.connect(f"sqlite:///{path}", tmp_path)

    await store.upgrade()

    assert mode(path) == 0o600
    await store.close()
