"""Claiming a (platform, channel, ISO week) row before a weekly post: tips and host digests.

A unique constraint decides which process posts; a claim that never got posted (a crash
between claim and post) is taken over once it is stale, by one process only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.rows import upsert, utc


async def claim_week(
    conn: AsyncConnection,
    table: Table,
    key: Mapping[str, str],
    values: Mapping[str, Any],
    now: dt.datetime,
    stale_after: dt.timedelta,
) -> tuple[int | None, bool]:
    """(the claimed row's id, whether a stale claim was taken over); (None, False) when the
    week is posted or freshly claimed elsewhere. ``key``: platform, channel and iso_week."""
    stmt = upsert(conn, table).values(**key, **values)
    stmt = stmt.on_conflict_do_nothing(index_elements=["platform", "channel", "iso_week"])
    row_id = await conn.scalar(stmt.returning(table.c.id))
    if row_id is not None:
        return int(row_id), False
    # Compare-and-swap: only one process can move a stale claim's timestamp forward.
    retake = (
        update(table)
        .where(
            *(table.c[column] == value for column, value in key.items()),
            table.c.posted_at.is_(None),
            table.c.claimed_at < utc(now - stale_after),
        )
        .values(**values)
        .returning(table.c.id)
    )
    row_id = await conn.scalar(retake)
    return (None, False) if row_id is None else (int(row_id), True)
