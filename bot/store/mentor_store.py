"""Rows of ``mentor_requests``: one per logged question, counted per member for the limit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import clean, schema
from bot.store.rows import upsert, utc


@dataclass(frozen=True, slots=True)
class LoggedAsk:
    """What the log knows about a question a member wants a mentor for."""

    question: str
    user_hash: str | None
    outcome: str


class MentorStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def logged(self, log_id: int) -> LoggedAsk | None:
        qlog = schema.question_log
        query = select(qlog.c.question, qlog.c.user_hash, qlog.c.outcome).where(qlog.c.id == log_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else LoggedAsk(str(row[0]), row[1], str(row[2]))

    async def recent(self, user_hash: str, since: dt.datetime) -> int:
        """Requests the member made since ``since`` (the rate limit counts them)."""
        requests = schema.mentor_requests
        query = (
            select(func.count())
            .select_from(requests)
            .where(requests.c.user_hash == user_hash, requests.c.requested_at >= utc(since))
        )
        async with self.engine.connect() as conn:
            return int(await conn.scalar(query) or 0)

    async def claim(
        self,
        log_id: int,
        *,
        platform: str,
        channel: str | None,
        thread_ref: str | None,
        user_hash: str,
        question: str,
        now: dt.datetime,
    ) -> bool:
        """Claim the question for one notification; False when it was already requested."""
        requests = schema.mentor_requests
        async with self.engine.begin() as conn:
            stmt = upsert(conn, requests).values(
                log_id=log_id,
                platform=platform,
                channel=clean.optional_key(channel, 64),
                thread_ref=clean.optional_key(thread_ref, 200),
                user_hash=user_hash,
                question=clean.text(question, schema.QUESTION_MAX_CHARS),
                requested_at=utc(now),
            )
            stmt = stmt.on_conflict_do_nothing(index_elements=["log_id"])
            inserted = await conn.scalar(stmt.returning(requests.c.log_id))
        return inserted is not None

    async def mark_notified(self, log_id: int, message_ref: str | None, now: dt.datetime) -> None:
        requests = schema.mentor_requests
        async with self.engine.begin() as conn:
            await conn.execute(
                update(requests)
                .where(requests.c.log_id == log_id)
                .values(notified_at=utc(now), message_ref=clean.optional_key(message_ref, 200))
            )

    async def release(self, log_id: int) -> None:
        """Forget a request whose notification could not be posted, so it can be pressed again."""
        requests = schema.mentor_requests
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(requests).where(
                    requests.c.log_id == log_id, requests.c.notified_at.is_(None)
                )
            )
