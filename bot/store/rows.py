"""Rows the log writer queues, and how a batch of them is written in one transaction.

Every statement is idempotent (log rows, picks, alias proposals and claims are inserted with
ON CONFLICT DO NOTHING, votes are upserts, releases are deletes), so a batch whose commit was
lost can be written again without doubling anything.
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

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.aliases import normalised, tidy_wording, wording_key
from bot.store import clean, schema

Outcome = Literal["answered", "abstained"]
Vote = Literal["up", "down"]
PickVia = Literal["suggestion", "correction", "autocomplete"]


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
class PickRow:
    """A member's choice of an entry: kept apart from questions, never counted as one.

    ``question`` is the wording the member had asked (None: read from the log row of
    ``log_id`` when written). With ``proposes``, the pair (wording, entry) is proposed as an
    alias, counted once per member.
    """

    pick_id: int
    picked_at: dt.datetime
    platform: str
    channel: str | None
    user: str | None
    log_id: int | None
    question: str | None
    entry_id: str
    via: PickVia
    proposes: bool = False


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


Row = QuestionRow | VoteRow | PickRow | EventClaim | EventRelease


QUESTION_CHARS = schema.QUESTION_MAX_CHARS
WORDING_CHARS = 500  # alias_proposals.wording


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
        elif kind is PickRow:
            await _picks(conn, [r for r in group if isinstance(r, PickRow)], salt)
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


async def _picks(conn: AsyncConnection, rows: list[PickRow], salt: str) -> None:
    asked = await _asked(conn, {r.log_id for r in rows if r.question is None and r.log_id})
    values: list[dict[str, Any]] = []
    proposals: list[dict[str, Any]] = []
    for r in rows:
        user_hash = None if r.user is None else hash_user(salt, r.platform, r.user)
        question = r.question if r.question is not None else asked.get(r.log_id or 0)
        entry_id = clean.stored_entry_id(r.entry_id)
        values.append(
            {
                "id": r.pick_id,
                "picked_at": utc(r.picked_at),
                "platform": clean.key(r.platform, 32),
                "channel": clean.optional_key(r.channel, 64),
                "user_hash": user_hash,
                "log_id": r.log_id,
                "question": None if question is None else clean.text(question, QUESTION_CHARS),
                "entry_id": entry_id,
                "via": r.via,
            }
        )
        if r.proposes and user_hash and question and normalised(question):
            proposals.append(
                {
                    "wording_key": wording_key(question),
                    "wording": clean.text(tidy_wording(question), WORDING_CHARS),
                    "entry_id": entry_id,
                    "user_hash": user_hash,
                    "at": utc(r.picked_at),
                }
            )
    stmt = upsert(conn, schema.picks).on_conflict_do_nothing(index_elements=["id"])
    await conn.execute(stmt, _last_per_key(values, ("id",)))
    if proposals:
        await _propose(conn, proposals)


async def _asked(conn: AsyncConnection, log_ids: set[int]) -> dict[int, str]:
    """The wordings of logged questions (a pick whose button could not carry it)."""
    if not log_ids:
        return {}
    qlog = schema.question_log
    found = await conn.execute(select(qlog.c.id, qlog.c.question).where(qlog.c.id.in_(log_ids)))
    return {int(log_id): str(question) for log_id, question in found}


async def _propose(conn: AsyncConnection, proposals: list[dict[str, Any]]) -> None:
    """One proposal per wording and entry, one proposer row per member (both idempotent)."""
    table, proposers = schema.alias_proposals, schema.alias_proposers
    pairs = _last_per_key(
        (
            {
                "wording_key": p["wording_key"],
                "wording": p["wording"],
                "entry_id": p["entry_id"],
                "status": "pending",
                "created_at": p["at"],
            }
            for p in proposals
        ),
        ("wording_key", "entry_id"),
    )
    stmt = upsert(conn, table).on_conflict_do_nothing(index_elements=["wording_key", "entry_id"])
    await conn.execute(stmt, pairs)
    keys = {p["wording_key"] for p in pairs}
    found = await conn.execute(
        select(table.c.id, table.c.wording_key, table.c.entry_id).where(
            table.c.wording_key.in_(keys)
        )
    )
    ids = {(str(key), str(entry)): int(pid) for pid, key, entry in found}
    members = _last_per_key(
        (
            {
                "proposal_id": ids[(p["wording_key"], p["entry_id"])],
                "user_hash": p["user_hash"],
                "proposed_at": p["at"],
            }
            for p in proposals
            if (p["wording_key"], p["entry_id"]) in ids
        ),
        ("proposal_id", "user_hash"),
    )
    if members:
        stmt = upsert(conn, proposers).on_conflict_do_nothing(
            index_elements=["proposal_id", "user_hash"]
        )
        await conn.execute(stmt, members)


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
