"""The store: question log, feedback, settings, event claims and pruning over one async engine."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import clean, embeddings, migrate, schema
from bot.store.engine import create_engine
from bot.store.remap import remap_entry_ids, stored_entry_ids
from bot.store.rows import (
    Outcome,
    QuestionRow,
    Row,
    Vote,
    event_key,
    new_log_id,
    question_values,
    upsert,
    utc,
    write_rows,
)
from bot.store.url import normalise_database_url

log = logging.getLogger(__name__)

SALT_KEY = "user_id_salt"

__all__ = ["LogRecord", "LoggedQuestion", "Outcome", "Pruned", "Store", "Vote", "upsert", "utc"]


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One question as it is stored: the user id is already hashed."""

    asked_at: dt.datetime
    platform: str
    workspace: str | None
    channel: str | None
    user_hash: str | None
    question: str
    outcome: Outcome
    entry_id: str | None
    score: float
    latency_ms: float


@dataclass(frozen=True, slots=True)
class LoggedQuestion:
    id: int
    record: LogRecord


@dataclass(frozen=True, slots=True)
class Pruned:
    questions: int
    feedback: int
    events: int


class Store:
    """Everything the bot must remember, in SQLite or PostgreSQL."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @classmethod
    def connect(
        cls,
        database_url: str | None,
        data_dir: Path,
        *,
        connect_args: dict[str, Any] | None = None,
    ) -> Store:
        """A store for ``DATABASE_URL`` (or the default SQLite file); does not touch the DB yet."""
        url = normalise_database_url(database_url, data_dir)
        return cls(create_engine(url, connect_args=connect_args))

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    async def upgrade(self, *, target: int | None = None) -> int:
        """Create or upgrade the schema (safe when several processes do it at once)."""
        return await migrate.upgrade(self.engine, target=target)

    async def schema_version(self) -> int:
        return await migrate.current_version(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()

    async def ping(self) -> None:
        """One round trip to the database; raises when it cannot be reached."""
        async with self.engine.connect() as conn:
            await conn.scalar(select(1))

    async def salt(self) -> str:
        """The salt for hashing user ids: generated once, then shared by every process."""
        async with self.engine.begin() as conn:
            stmt = upsert(conn, schema.settings).values(key=SALT_KEY, value=secrets.token_hex(32))
            await conn.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))
            value = await conn.scalar(
                select(schema.settings.c.value).where(schema.settings.c.key == SALT_KEY)
            )
        return str(value)

    async def write(self, rows: Sequence[Row], salt: str) -> None:
        """Write queued rows in one transaction; writing the same rows again changes nothing."""
        async with self.engine.begin() as conn:
            await write_rows(conn, rows, salt)

    async def log_question(self, record: LogRecord, *, log_id: int | None = None) -> int:
        """Log one question at once (the bot queues them instead); returns its log id."""
        row = QuestionRow(
            new_log_id() if log_id is None else log_id,
            record.asked_at,
            record.platform,
            record.workspace,
            record.channel,
            None,
            record.question,
            record.outcome,
            record.entry_id,
            record.score,
            record.latency_ms,
        )
        async with self.engine.begin() as conn:
            values = question_values(row, record.user_hash)
            await conn.execute(schema.question_log.insert().values(values))
        return row.log_id

    async def vote(self, log_id: int, user_hash: str, vote: Vote, now: dt.datetime) -> bool:
        """Record or change a user's vote; False if the answer is unknown or the vote unchanged."""
        fb = schema.feedback
        async with self.engine.begin() as conn:
            known = await conn.scalar(
                select(schema.question_log.c.id).where(schema.question_log.c.id == log_id)
            )
            if known is None:
                return False
            stmt = upsert(conn, fb).values(
                log_id=log_id, user_hash=user_hash, vote=vote, voted_at=utc(now)
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=["log_id", "user_hash"],
                set_={"vote": stmt.excluded.vote, "voted_at": stmt.excluded.voted_at},
                where=fb.c.vote != stmt.excluded.vote,
            )
            changed = await conn.scalar(stmt.returning(fb.c.id))
        return changed is not None

    async def votes(self, log_id: int) -> dict[str, int]:
        """``{"up": n, "down": m}`` for one answer."""
        fb = schema.feedback
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(fb.c.vote, func.count()).where(fb.c.log_id == log_id).group_by(fb.c.vote)
            )
            counts = {"up": 0, "down": 0}
            counts.update({str(vote): int(n) for vote, n in rows})
        return counts

    async def claim_event(self, platform: str, event_id: str, now: dt.datetime) -> bool:
        """Atomically claim an inbound event; False when another delivery already claimed it."""
        async with self.engine.begin() as conn:
            stmt = upsert(conn, schema.processed_events).values(
                platform=clean.key(platform, 32), event_id=event_key(event_id), claimed_at=utc(now)
            )
            stmt = stmt.on_conflict_do_nothing(index_elements=["platform", "event_id"])
            claimed = await conn.scalar(stmt.returning(schema.processed_events.c.id))
        return claimed is not None

    async def release_event(self, platform: str, event_id: str) -> bool:
        """Forget a claim, so a redelivery of the event is handled; False if there was none."""
        events = schema.processed_events
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(events).where(
                    events.c.platform == clean.key(platform, 32),
                    events.c.event_id == event_key(event_id),
                )
            )
        return bool(result.rowcount)

    async def prune(self, before: dt.datetime) -> Pruned:
        """Delete questions, feedback and event claims older than ``before``.

        Feedback goes with its question, and on its own once old (a vote whose answer was
        never logged, e.g. dropped when the queue overflowed).
        """
        cutoff = utc(before)
        qlog, fb, events = schema.question_log, schema.feedback, schema.processed_events
        old = select(qlog.c.id).where(qlog.c.asked_at < cutoff)
        async with self.engine.begin() as conn:
            stale = or_(fb.c.log_id.in_(old), fb.c.voted_at < cutoff)
            n_fb = (await conn.execute(delete(fb).where(stale))).rowcount
            n_q = (await conn.execute(delete(qlog).where(qlog.c.asked_at < cutoff))).rowcount
            n_ev = (await conn.execute(delete(events).where(events.c.claimed_at < cutoff))).rowcount
        return Pruned(questions=n_q, feedback=n_fb, events=n_ev)

    async def stored_entry_ids(self) -> set[str]:
        """The entry ids the log, picks, proposals and tip history refer to."""
        return await stored_entry_ids(self.engine)

    async def remap_entry_ids(self, mapping: Mapping[str, str]) -> int:
        """Rewrite entry ids (``old -> new``) in every table, in one transaction; idempotent."""
        return await remap_entry_ids(self.engine, mapping)

    async def embeddings_get(
        self, model_key: str, keys: Iterable[str], *, now: dt.datetime | None = None
    ) -> dict[str, bytes]:
        """Cached entry vectors of ``model_key`` among ``keys`` (text keys), by key."""
        return await embeddings.get(self.engine, model_key, keys, now or _now())

    async def embeddings_put(
        self, model_key: str, items: Mapping[str, bytes], *, now: dt.datetime | None = None
    ) -> None:
        """Cache entry vectors (text key -> packed vector); concurrent writers are safe."""
        await embeddings.put(self.engine, model_key, items, now or _now())

    async def embeddings_prune(
        self, unused_since: dt.datetime, *, keep_models: Collection[str] | None = None
    ) -> int:
        """Delete vectors unread since ``unused_since`` or of models not in ``keep_models``."""
        return await embeddings.prune(self.engine, unused_since, keep_models)

    async def questions(self, since: dt.datetime, until: dt.datetime) -> list[LoggedQuestion]:
        """Logged questions in ``[since, until)``, oldest first."""
        qlog = schema.question_log
        query = (
            select(qlog)
            .where(qlog.c.asked_at >= utc(since), qlog.c.asked_at < utc(until))
            .order_by(qlog.c.asked_at, qlog.c.id)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [
            LoggedQuestion(
                id=row["id"],
                record=LogRecord(
                    asked_at=utc(row["asked_at"]),
                    platform=row["platform"],
                    workspace=row["workspace"],
                    channel=row["channel"],
                    user_hash=row["user_hash"],
                    question=row["question"],
                    outcome=row["outcome"],
                    entry_id=row["entry_id"],
                    score=row["score"],
                    latency_ms=row["latency_ms"],
                ),
            )
            for row in rows
        ]

    async def down_votes(self, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
        """👎 count per entry id, for answers given in ``[since, until)``."""
        qlog, fb = schema.question_log, schema.feedback
        query = (
            select(qlog.c.entry_id, func.count())
            .select_from(fb.join(qlog, fb.c.log_id == qlog.c.id))
            .where(
                fb.c.vote == "down",
                qlog.c.entry_id.is_not(None),
                qlog.c.asked_at >= utc(since),
                qlog.c.asked_at < utc(until),
            )
            .group_by(qlog.c.entry_id)
        )
        async with self.engine.connect() as conn:
            return {str(entry): int(n) for entry, n in await conn.execute(query)}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
