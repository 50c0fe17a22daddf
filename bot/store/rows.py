"""Rows the log writer queues, and how a batch of them is written in one transaction.

Every statement is idempotent (log rows and claims are inserted with ON CONFLICT DO NOTHING,
votes are upserts, releases are deletes), so a batch whose commit was lost can be written
again without doubling anything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Table, bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import clean, schema

Outcome = Literal["answered", "abstained"]
Vote = Literal["up", "down"]


@dataclass(frozen=True, slots=True)
class QuestionRow:
    """A question to log; ``user`` is the platform's id, hashed with the salt when written."""

    log_id: int
    asked_at: dt.datetime
    platform: str
    workspace: str | None
    channel: str | None
    user: str | None
    question: str
    outcome: Outcome
    entry_id: str | None
    score: float
    latency_ms: float


@dataclass(frozen=True, slots=True)
class VoteRow:
    """A 👍/👎 on a logged answer; one per user and answer, the latest wins."""

    log_id: int
    platform: str
    user: str
    vote: Vote
    voted_at: dt.datetime


@dataclass(frozen=True, slots=True)
class EventClaim:
    """An event this process handled, recorded so other processes skip its redeliveries."""

    platform: str
    event_id: str
    claimed_at: dt.datetime


@dataclass(frozen=True, slots=True)
class EventRelease:
    """An event whose answer could not be posted: a redelivery may answer it."""

    platform: str
    event_id: str


Row = QuestionRow | VoteRow | EventClaim | EventRelease


def new_log_id() -> int:
    """A random positive 63-bit id: chosen without the database, unique in practice."""
    return secrets.randbelow(2**63 - 1) + 1


def hash_user(salt: str, platform: str, user: str) -> str:
    """The stored form of a user id: HMAC-SHA256 with the salt (raw ids are never stored)."""
    return hmac.new(salt.encode(), f"{platform}:{user}".encode(), hashlib.sha256).hexdigest()


def utc(moment: dt.datetime) -> dt.datetime:
    """Aware UTC; SQLite returns naive datetimes, which the store always writes in UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def upsert(conn: AsyncConnection, table: Table) -> Any:
    """A dialect INSERT that supports ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def event_key(event_id: str) -> str:
    return clean.key(event_id, schema.EVENT_ID_MAX_CHARS)


def question_values(row: QuestionRow, user_hash: str | None) -> dict[str, Any]:
    return {
        "id": row.log_id,
        "asked_at": utc(row.asked_at),
        "platform": clean.key(row.platform, 32),
        "workspace": clean.optional_key(row.workspace, 64),
        "channel": clean.optional_key(row.channel, 64),
        "user_hash": user_hash,
        "question": clean.text(row.question, schema.QUESTION_MAX_CHARS),
        "outcome": row.outcome,
        "entry_id": None if row.entry_id is None else clean.stored_entry_id(row.entry_id),
        "score": row.score,
        "latency_ms": row.latency_ms,
    }


async def write_rows(conn: AsyncConnection, rows: Sequence[Row], salt: str) -> None:
    """Write ``rows`` in order, each run of one kind as one statement, in ``conn``'s transaction.

    All the questions of a run come before a vote that follows them, so a vote never
    precedes its answer's row.
    """
    for kind, run in itertools.groupby(rows, key=type):
        group = list(run)
        if kind is QuestionRow:
            await _questions(conn, [r for r in group if isinstance(r, QuestionRow)], salt)
        elif kind is VoteRow:
            await _votes(conn, [r for r in group if isinstance(r, VoteRow)], salt)
        elif kind is EventClaim:
            await _claims(conn, [r for r in group if isinstance(r, EventClaim)])
        else:
            await _releases(conn, [r for r in group if isinstance(r, EventRelease)])


async def _questions(conn: AsyncConnection, rows: list[QuestionRow], salt: str) -> None:
    values = _last_per_key(
        (
            question_values(r, None if r.user is None else hash_user(salt, r.platform, r.user))
            for r in rows
        ),
        ("id",),
    )
    stmt = upsert(conn, schema.question_log).on_conflict_do_nothing(index_elements=["id"])
    await conn.execute(stmt, values)


async def _votes(conn: AsyncConnection, rows: list[VoteRow], salt: str) -> None:
    fb = schema.feedback
    values = _last_per_key(
        (
            {
                "log_id": r.log_id,
                "user_hash": hash_user(salt, r.platform, r.user),
                "vote": r.vote,
                "voted_at": utc(r.voted_at),
            }
            for r in rows
        ),
        ("log_id", "user_hash"),
    )
    stmt = upsert(conn, fb)
    stmt = stmt.on_conflict_do_update(
        index_elements=["log_id", "user_hash"],
        set_={"vote": stmt.excluded.vote, "voted_at": stmt.excluded.voted_at},
        where=fb.c.vote != stmt.excluded.vote,
    )
    await conn.execute(stmt, values)


async def _claims(conn: AsyncConnection, rows: list[EventClaim]) -> None:
    values = _last_per_key(
        (
            {
                "platform": clean.key(r.platform, 32),
                "event_id": event_key(r.event_id),
                "claimed_at": utc(r.claimed_at),
            }
            for r in rows
        ),
        ("platform", "event_id"),
    )
    stmt = upsert(conn, schema.processed_events).on_conflict_do_nothing(
        index_elements=["platform", "event_id"]
    )
    await conn.execute(stmt, values)


async def _releases(conn: AsyncConnection, rows: list[EventRelease]) -> None:
    events = schema.processed_events
    stmt = delete(events).where(
        events.c.platform == bindparam("p"), events.c.event_id == bindparam("e")
    )
    await conn.execute(
        stmt, [{"p": clean.key(r.platform, 32), "e": event_key(r.event_id)} for r in rows]
    )


def _last_per_key(values: Iterable[dict[str, Any]], key: tuple[str, ...]) -> list[dict[str, Any]]:
    # One statement must not touch a row twice (PostgreSQL refuses that in an upsert).
    latest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for value in values:
        identity = tuple(value[k] for k in key)
        latest.pop(identity, None)
        latest[identity] = value
    return list(latest.values())
