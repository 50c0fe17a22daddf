"""The report's figures, aggregated by the database: a million logged questions never reach Python.

Every query reads questions asked in ``[since, until)``, optionally only those of some channels
(``--source`` with CHANNEL_KNOWLEDGE). Only ``question_log`` rows count: a member's pick of an
entry lives in ``picks`` and is never a question. Latency percentiles come from PostgreSQL's
``percentile_cont``; SQLite has none, so it counts latencies in 0.1 ms buckets (one pass, a few
thousand rows back) and the percentiles are read off that histogram.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Date, Integer, cast, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import schema
from bot.store.rows import utc

LATENCY_BUCKET_MS = 0.1  # SQLite's histogram resolution
PERCENTILES = (0.5, 0.9, 0.99)


@dataclass(frozen=True, slots=True)
class Window:
    """Which questions a query reads: a span of time and, optionally, some channels."""

    since: dt.datetime
    until: dt.datetime
    channels: frozenset[str] | None = None  # None: every channel


@dataclass(frozen=True, slots=True)
class DayOutcome:
    day: dt.date
    outcome: str
    count: int


@dataclass(frozen=True, slots=True)
class Wording:
    """One exact wording of abstained (or mentor) questions and how often it was asked."""

    text: str
    count: int


@dataclass(frozen=True, slots=True)
class DownVotes:
    entry_id: str  # as stored (see ``stored_entry_id``)
    votes: int
    members: int  # distinct members who voted 👎


@dataclass(frozen=True, slots=True)
class DownVotedQuestion:
    entry_id: str
    question: str
    members: int


def _where(window: Window) -> list[ColumnElement[bool]]:
    qlog = schema.question_log
    clauses = [qlog.c.asked_at >= utc(window.since), qlog.c.asked_at < utc(window.until)]
    if window.channels is not None:
        clauses.append(qlog.c.channel.in_(sorted(window.channels)))
    return clauses


def _day(conn: AsyncConnection) -> ColumnElement[object]:
    asked_at = schema.question_log.c.asked_at
    if conn.dialect.name == "sqlite":
        return func.substr(asked_at, 1, 10)  # stored as "YYYY-MM-DD HH:MM:SS.ffffff", in UTC
    return cast(func.timezone("UTC", asked_at), Date)


async def per_day(conn: AsyncConnection, window: Window) -> list[DayOutcome]:
    """Questions per UTC day and outcome."""
    qlog = schema.question_log
    day = _day(conn).label("day")
    query = select(day, qlog.c.outcome, func.count()).where(*_where(window))
    rows = await conn.execute(query.group_by(day, qlog.c.outcome))
    return [DayOutcome(_as_date(d), str(outcome), int(n)) for d, outcome, n in rows]


async def latency_percentiles(
    conn: AsyncConnection, window: Window, percentiles: Sequence[float] = PERCENTILES
) -> dict[float, float]:
    """Latency (ms) at each percentile; empty when no question was asked."""
    qlog = schema.question_log
    if conn.dialect.name == "postgresql":
        columns = [
            func.percentile_cont(p).within_group(qlog.c.latency_ms.asc()) for p in percentiles
        ]
        row = (await conn.execute(select(*columns).where(*_where(window)))).one()
        if row[0] is None:
            return {}
        return {p: float(v) for p, v in zip(percentiles, row, strict=True)}
    bucket = cast(qlog.c.latency_ms / LATENCY_BUCKET_MS, Integer).label("bucket")
    rows = await conn.execute(
        select(bucket, func.count()).where(*_where(window)).group_by(bucket).order_by(bucket)
    )
    histogram = [(int(b), int(n)) for b, n in rows]
    return _from_histogram(histogram, percentiles)


def _from_histogram(
    histogram: Sequence[tuple[int, int]], percentiles: Sequence[float]
) -> dict[float, float]:
    """Percentiles (linear between ranks, like percentile_cont) of bucketed latencies."""
    total = sum(n for _, n in histogram)
    if not total:
        return {}
    result: dict[float, float] = {}
    for p in percentiles:
        rank = p * (total - 1)
        low, high = (
            _at_rank(histogram, int(rank)),
            _at_rank(histogram, min(int(rank) + 1, total - 1)),
        )
        value = low + (high - low) * (rank - int(rank))
        result[p] = round(value * LATENCY_BUCKET_MS, 3)
    return result


def _at_rank(histogram: Sequence[tuple[int, int]], rank: int) -> int:
    seen = 0
    for bucket, n in histogram:
        seen += n
        if rank < seen:
            return bucket
    return histogram[-1][0]


async def answered_per_entry(conn: AsyncConnection, window: Window) -> dict[str, int]:
    """How often each entry (stored id) was the answer."""
    qlog = schema.question_log
    query = (
        select(qlog.c.entry_id, func.count())
        .where(*_where(window), qlog.c.outcome == "answered", qlog.c.entry_id.is_not(None))
        .group_by(qlog.c.entry_id)
    )
    return {str(entry): int(n) for entry, n in await conn.execute(query)}


async def abstained_wordings(conn: AsyncConnection, window: Window, limit: int) -> list[Wording]:
    """The ``limit`` most asked exact wordings of questions the bot did not answer."""
    qlog = schema.question_log
    count = func.count().label("n")
    query = (
        select(qlog.c.question, count)
        .where(*_where(window), qlog.c.outcome == "abstained")
        .group_by(qlog.c.question)
        .order_by(count.desc(), qlog.c.question)
        .limit(limit)
    )
    return [Wording(str(text), int(n)) for text, n in await conn.execute(query)]


async def abstained_totals(conn: AsyncConnection, window: Window) -> tuple[int, int]:
    """(abstained questions, distinct wordings among them)."""
    qlog = schema.question_log
    query = select(func.count(), func.count(qlog.c.question.distinct())).where(
        *_where(window), qlog.c.outcome == "abstained"
    )
    total, distinct = (await conn.execute(query)).one()
    return int(total), int(distinct)


async def down_votes(conn: AsyncConnection, window: Window) -> list[DownVotes]:
    """👎 per answered entry, most first (votes on answers given in the window)."""
    qlog, fb = schema.question_log, schema.feedback
    votes = func.count().label("votes")
    members = func.count(fb.c.user_hash.distinct()).label("members")
    query = (
        select(qlog.c.entry_id, votes, members)
        .select_from(fb.join(qlog, fb.c.log_id == qlog.c.id))
        .where(*_where(window), fb.c.vote == "down", qlog.c.entry_id.is_not(None))
        .group_by(qlog.c.entry_id)
        .order_by(votes.desc(), qlog.c.entry_id)
    )
    return [DownVotes(str(e), int(v), int(m)) for e, v, m in await conn.execute(query)]


async def down_voted_questions(
    conn: AsyncConnection, window: Window, entry_ids: Collection[str]
) -> list[DownVotedQuestion]:
    """The questions whose answer (one of ``entry_ids``) was 👎'd, by how many members."""
    if not entry_ids:
        return []
    qlog, fb = schema.question_log, schema.feedback
    members = func.count(fb.c.user_hash.distinct()).label("members")
    query = (
        select(qlog.c.entry_id, qlog.c.question, members)
        .select_from(fb.join(qlog, fb.c.log_id == qlog.c.id))
        .where(*_where(window), fb.c.vote == "down", qlog.c.entry_id.in_(sorted(entry_ids)))
        .group_by(qlog.c.entry_id, qlog.c.question)
        .order_by(members.desc(), qlog.c.question)
    )
    return [DownVotedQuestion(str(e), str(q), int(m)) for e, q, m in await conn.execute(query)]


async def mentor_questions(conn: AsyncConnection, window: Window) -> list[Wording]:
    """Questions members sent to mentors ("Ask a mentor"), most asked first."""
    mentors = schema.mentor_requests
    clauses = [
        mentors.c.requested_at >= utc(window.since),
        mentors.c.requested_at < utc(window.until),
    ]
    if window.channels is not None:
        clauses.append(mentors.c.channel.in_(sorted(window.channels)))
    count = func.count().label("n")
    first = func.min(mentors.c.requested_at)
    query = (
        select(mentors.c.question, count)
        .where(*clauses)
        .group_by(mentors.c.question)
        .order_by(count.desc(), first, mentors.c.question)
    )
    return [Wording(str(text), int(n)) for text, n in await conn.execute(query)]


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


__all__ = [
    "DayOutcome",
    "DownVotedQuestion",
    "DownVotes",
    "Window",
    "Wording",
    "abstained_totals",
    "abstained_wordings",
    "answered_per_entry",
    "down_voted_questions",
    "down_votes",
    "latency_percentiles",
    "mentor_questions",
    "per_day",
]
