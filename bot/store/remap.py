"""Rewrite entry ids everywhere they are stored, e.g. when ids gain a source prefix."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Column, MetaData, String, Table, select, union, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import clean, schema

# Every table with an ``entry_id`` column; a new one must be added here (a test checks).
TABLES = (schema.question_log, schema.tip_posts, schema.picks, schema.alias_proposals)


async def stored_entry_ids(engine: AsyncEngine) -> set[str]:
    """Every entry id the tables hold (a few thousand at most, read from indexes)."""
    query = union(
        *(select(table.c.entry_id).where(table.c.entry_id.is_not(None)) for table in TABLES)
    )
    async with engine.connect() as conn:
        return {str(entry_id) for entry_id in (await conn.scalars(query)).all()}


async def remap_entry_ids(engine: AsyncEngine, mapping: Mapping[str, str]) -> int:
    """Rewrite ``old -> new`` in one transaction; return the number of rows changed.

    The mapping is applied all at once (``a -> b, b -> c`` moves a's rows to b, not to c), so
    running it again changes nothing once the old ids are gone.
    """
    pairs = {clean.stored_entry_id(o): clean.stored_entry_id(n) for o, n in mapping.items()}
    pairs = {old: new for old, new in pairs.items() if old != new}
    if not pairs:
        return 0
    # A session-private table joins the mapping in one statement per table.
    remap = Table(
        "qabot_entry_id_remap",
        MetaData(),
        Column("old_id", String(schema.ENTRY_ID_MAX_CHARS), primary_key=True),
        Column("new_id", String(schema.ENTRY_ID_MAX_CHARS), nullable=False),
        prefixes=["TEMPORARY"],
    )
    changed = 0
    async with engine.begin() as conn:
        await conn.run_sync(remap.create)
        await conn.execute(remap.insert(), [{"old_id": o, "new_id": n} for o, n in pairs.items()])
        for table in TABLES:
            new_id = select(remap.c.new_id).where(remap.c.old_id == table.c.entry_id)
            result = await conn.execute(
                update(table)
                .where(table.c.entry_id.in_(select(remap.c.old_id)))
                .values(entry_id=new_id.scalar_subquery())
            )
            changed += result.rowcount
        await conn.run_sync(remap.drop)
    return changed
