"""The sentence model's entry vectors in the database, for hosts that wipe their disk.

Rows are keyed by (model key, text key); the caller packs each vector into bytes (float32 or
float16). Writers race harmlessly: a key another process wrote first is left as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import clean, schema
from bot.store.rows import upsert, utc

T = TypeVar("T")

MODEL_KEY_CHARS = 200
TEXT_KEY_CHARS = 64
CHUNK = 500  # keys per statement: well under SQLite's limit on bound parameters
# ``used_at`` moves forward at most once a day per row, so reads stay (nearly) read-only.
TOUCH_AFTER = dt.timedelta(days=1)


async def get(
    engine: AsyncEngine, model_key: str, keys: Iterable[str], now: dt.datetime
) -> dict[str, bytes]:
    """The cached vectors among ``keys``, by key; marks them as used."""
    table = schema.embedding_cache
    model = clean.key(model_key, MODEL_KEY_CHARS)
    wanted = {clean.key(k, TEXT_KEY_CHARS): k for k in keys}
    found: dict[str, bytes] = {}
    async with engine.begin() as conn:
        for chunk in _chunks(list(wanted)):
            rows = await conn.execute(
                select(table.c.text_key, table.c.vector).where(
                    table.c.model_key == model, table.c.text_key.in_(chunk)
                )
            )
            hits = [(str(k), bytes(v)) for k, v in rows]
            found.update((wanted[k], v) for k, v in hits)
            await conn.execute(
                update(table)
                .where(
                    table.c.model_key == model,
                    table.c.text_key.in_([k for k, _ in hits]),
                    table.c.used_at < utc(now) - TOUCH_AFTER,
                )
                .values(used_at=utc(now))
            )
    return found


async def put(
    engine: AsyncEngine, model_key: str, items: Mapping[str, bytes], now: dt.datetime
) -> None:
    """Store vectors in one transaction; keys already present keep their vectors."""
    table = schema.embedding_cache
    model = clean.key(model_key, MODEL_KEY_CHARS)
    values = [
        {
            "model_key": model,
            "text_key": clean.key(k, TEXT_KEY_CHARS),
            "vector": bytes(v),
            "created_at": utc(now),
            "used_at": utc(now),
        }
        for k, v in items.items()
    ]
    if not values:
        return
    async with engine.begin() as conn:
        stmt = upsert(conn, table).on_conflict_do_nothing(index_elements=["model_key", "text_key"])
        for chunk in _chunks(values):
            await conn.execute(stmt, chunk)


async def prune(
    engine: AsyncEngine, unused_since: dt.datetime, keep_models: Collection[str] | None
) -> int:
    """Delete vectors unread since ``unused_since``, and those of models not in ``keep_models``."""
    table = schema.embedding_cache
    stale = table.c.used_at < utc(unused_since)
    if keep_models is not None:
        kept = [clean.key(m, MODEL_KEY_CHARS) for m in keep_models]
        stale = or_(stale, table.c.model_key.not_in(kept))
    async with engine.begin() as conn:
        return (await conn.execute(delete(table).where(stale))).rowcount


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
