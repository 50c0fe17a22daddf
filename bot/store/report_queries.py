"""The report's figures, aggregated by the database: a million logged questions never reach Python.

Every query reads questions asked in ``[since, until)``, optionally only those of some channels
(``--source`` with CHANNEL_KNOWLEDGE). Only ``question_log`` rows count: a member's pick of an
entry lives in ``picks`` and is never a question. Latency percentiles come from PostgreSQL's
``percentile_cont``; SQLite has none, so it reads the rows at the percentiles' ranks from an
index in latency order. The indexes are those of revision 0006.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, Date, case, cast, column, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import schema
from bot.store.rows import utc

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
    votes: int  # 👎
    members: int  # distinct members who voted 👎
    up: int  # 👍 on the same answers


@dataclass(frozen=True, slots=True)
class DownVotedQuestion:
    entry_id: str
    question: str
    members: int


def _where(window: Window, c: Any = schema.question_log.c) -> list[ColumnElement[bool]]:
    clauses = [c.asked_at >= utc(window.since), c.asked_at < utc(window.until)]
    if window.channels is not None:
        clauses.append(c.channel.in_(sorted(window.channels)))
    return clauses


def _log_read(conn: AsyncConnection, sqlite_hint: str) -> tuple[Any, Any]:
    """``question_log`` and its columns; on SQLite with an index hint (``INDEXED BY ...``,
    ``NOT INDEXED``), which SQLAlchemy does not render for SQLite, so the FROM is text."""
    qlog = schema.question_log
    if conn.dialect.name != "sqlite":
        return qlog, qlog.c
    columns = {c.name: column(c.name, c.type) for c in qlog.columns}
    return text(f"question_log {sqlite_hint}"), SimpleNamespace(**columns)


async def per_day(conn: AsyncConnection, window: Window) -> list[DayOutcome]:
    """Questions per UTC day and outcome.

    PostgreSQL groups by the day in one pass. SQLite stores times as text, and grouping by a
    part of it costs three times as much as counting each day's range of the
    ``(asked_at, outcome, channel)`` index, one short query per day.
    """
    qlog = schema.question_log
    if conn.dialect.name != "sqlite":
        day = cast(func.timezone("UTC", qlog.c.asked_at), Date).label("day")
        query = select(day, qlog.c.outcome, func.count()).where(*_where(window))
        rows = await conn.execute(query.group_by(day, qlog.c.outcome))
        return [DayOutcome(_as_date(d), str(outcome), int(n)) for d, outcome, n in rows]
    found = []
    start = utc(window.since)
    while start < utc(window.until):
        midnight = dt.datetime.combine(start.date(), dt.time(), dt.UTC) + dt.timedelta(days=1)
        end = min(midnight, utc(window.until))
        one_day = Window(start, end, window.channels)
        query = (
            select(qlog.c.outcome, func.count()).where(*_where(one_day)).group_by(qlog.c.outcome)
        )
        found += [DayOutcome(start.date(), str(o), int(n)) for o, n in await conn.execute(query)]
        start = end
    return found


async def latency_percentiles(
    conn: AsyncConnection, window: Window, count: int, percentiles: Sequence[float] = PERCENTILES
) -> dict[float, float]:
    """Latency (ms) at each percentile of the window's ``count`` questions, interpolated
    between ranks like ``percentile_cont``; empty when there were none.

    SQLite has no ``percentile_cont``: it reads the rows at the two ranks around each
    percentile from the ``(latency_ms, asked_at, channel)`` index, which is already in order.
    """
    qlog = schema.question_log
    if not count:
        return {}
    if conn.dialect.name != "sqlite":
        columns = [
            func.percentile_cont(p).within_group(qlog.c.latency_ms.asc()) for p in percentiles
        ]
        row = (await conn.execute(select(*columns).where(*_where(window)))).one()
        if row[0] is None:
            return {}
        return {p: float(v) for p, v in zip(percentiles, row, strict=True)}
    result = {}
    for p in percentiles:
        rank = p * (count - 1)
        query = (
            select(qlog.c.latency_ms)
            .where(*_where(window))
            .order_by(qlog.c.latency_ms)
            .limit(2)
            .offset(int(rank))
        )
        values = [float(v) for v in (await conn.scalars(query)).all()]
        if not values:
            return {}
        low, high = values[0], values[-1]
        result[p] = low + (high - low) * (rank - int(rank))
    return result


async def answered_per_entry(conn: AsyncConnection, window: Window) -> dict[str, int]:
    """How often each entry (stored id) was the answer."""
    # SQLite's planner prefers (asked_at, ...) and a table lookup per row: 5-15x slower.
    source, c = _log_read(conn, "INDEXED BY ix_question_log_outcome_entry")
    query = (
        select(c.entry_id, func.count())
        .select_from(source)
        .where(*_where(window, c), c.outcome == "answered")
        .group_by(c.entry_id)
    )
    return {str(entry): int(n) for entry, n in await conn.execute(query) if entry is not None}


async def abstained_wordings(
    conn: AsyncConnection, window: Window, limit: int, *, most_of_the_log: bool = False
) -> list[Wording]:
    """The ``limit`` most asked exact wordings of questions the bot did not answer.

    ``most_of_the_log``: the window holds a large share of the log. SQLite would still read it
    through the ``asked_at`` index, one random table lookup per row (log ids are random, so
    rows are not stored in time order): reading the whole table in order is 3-5 times faster.
    """
    source, c = _log_read(conn, "NOT INDEXED" if most_of_the_log else "")
    count = func.count().label("n")
    query = (
        select(c.question, count)
        .select_from(source)
        .where(*_where(window, c), c.outcome == "abstained")
        .group_by(c.question)
        .order_by(count.desc(), c.question)
        .limit(limit)
    )
    return [Wording(str(words), int(n)) for words, n in await conn.execute(query)]


async def logged(conn: AsyncConnection) -> int:
    """Every question in the log (a scan of the smallest index: fast even at millions)."""
    return int(await conn.scalar(select(func.count()).select_from(schema.question_log)) or 0)


def _votes_where(window: Window) -> list[ColumnElement[bool]]:
    """Votes on answers given in the window. Such votes are cast after its start, which lets
    the database read the few votes first and then their answers, not the answers first."""
    qlog, fb = schema.question_log, schema.feedback
    return [*_where(window), fb.c.voted_at >= utc(window.since), qlog.c.entry_id.is_not(None)]


async def down_votes(conn: AsyncConnection, window: Window) -> list[DownVotes]:
    """👎 per answered entry, most first, with the 👍 on the same answers."""
    qlog, fb = schema.question_log, schema.feedback
    down = fb.c.vote == "down"
    votes = func.sum(case((down, 1), else_=0)).label("votes")
    members = func.count(case((down, fb.c.user_hash)).distinct()).label("members")
    up = func.sum(case((down, 0), else_=1)).label("up")
    query = (
        select(qlog.c.entry_id, votes, members, up)
        .select_from(fb.join(qlog, fb.c.log_id == qlog.c.id))
        .where(*_votes_where(window))
        .group_by(qlog.c.entry_id)
        .having(votes > 0)
        .order_by(votes.desc(), qlog.c.entry_id)
    )
    rows = await conn.execute(query)
    return [DownVotes(str(e), int(v), int(m), int(u)) for e, v, m, u in rows]


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
        .where(*_votes_where(window), fb.c.vote == "down", qlog.c.entry_id.in_(sorted(entry_ids)))
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
    "abstained_wordings",
    "answered_per_entry",
    "down_voted_questions",
    "down_votes",
    "latency_percentiles",
    "logged",
    "mentor_questions",
    "per_day",
]
