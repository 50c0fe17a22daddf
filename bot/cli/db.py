"""``qabot db upgrade``: create or upgrade the database schema (the Procfile's release step)."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from bot.settings import load_core_settings

if TYPE_CHECKING:
    from bot.store import Store


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "db",
        help="manage the database (DATABASE_URL, or a SQLite file in DATA_DIR)",
        description="Manage the database. Commands that need it also upgrade it themselves.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    upgrade = actions.add_parser(
        "upgrade",
        help="create or upgrade the schema; safe to run from several processes at once",
    )
    upgrade.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_core_settings()
    from bot.store import Store

    store = Store.connect(settings.database_url, settings.data_dir)
    before, after = asyncio.run(_upgrade(store))
    if before == after:
        print(f"database schema is up to date (version {after})")
    else:
        print(f"database schema upgraded from version {before} to {after}")
    return 0


async def _upgrade(store: Store) -> tuple[int, int]:
    from bot.store.errors import reported_store_errors

    try:
        with reported_store_errors():
            before = await store.schema_version()
            return before, await store.upgrade()
    finally:
        await store.close()
