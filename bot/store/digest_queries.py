"""The few small queries the weekly host digest needs, aggregated in SQL.

Each returns at most a handful of rows: counts for a week, the week's unanswered wordings
(grouped later, in ``bot.digest``), the most 👎'd entries and the pending alias proposals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import schema
from bot.store.rows import utc

UNANSWERED_WORDINGS = 2000  # distinct missed wordings read per week; enough for a short list


@dataclass(frozen=True, slots=True)
class WeekCounts:
    asked: int
    answered: int


@dataclass(frozen=True, slots=True)
class Wording:
    """One way a missed question was typed, and how often (by how many members)."""

    question: str
    times: int
    members: int


@dataclass(frozen=True, slots=True)
class DownVoted:
    entry_id: str  # in its stored form
    members: int  # members who 👎'd an answer with it


@dataclass(frozen=True, slots=True)
class PendingProposal:
    id: int
    wording: str
    entry_id: str
    members: int


async def week_counts(
    engine: AsyncEngine, since: dt.datetime, until: dt.datetime
) -> tuple[WeekCounts, WeekCounts]:
    """Questions asked in ``[since, until)`` and in the 7 days before, and how many of them
    were answered: one range scan of the log."""
    qlog = schema.question_log
    before = since - (until - since)
    this_week = qlog.c.asked_at >= utc(since)
    answered = qlog.c.outcome == "answered"

    def total(*conditions: Any) -> Any:
        return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

    query = select(
        total(this_week),
        total(this_week, answered),
        total(~this_week),
        total(~this_week, answered),
    ).where(qlog.c.asked_at >= utc(before), qlog.c.asked_at < utc(until))
    async with engine.connect() as conn:
        now_asked, now_answered, then_asked, then_answered = (await conn.execute(query)).one()
    return (
        WeekCounts(int(now_asked), int(now_answered)),
        WeekCounts(int(then_asked), int(then_answered)),
    )


async def unanswered_wordings(
    engine: AsyncEngine, since: dt.datetime, until: dt.datetime, limit: int = UNANSWERED_WORDINGS
) -> list[Wording]:
    """Missed questions in ``[since, until)`` by wording, most asked first."""
    qlog = schema.question_log
    times = func.count().label("times")
    query = (
        select(qlog.c.question, times, func.count(func.distinct(qlog.c.user_hash)))
        .where(
            qlog.c.outcome == "abstained",
            qlog.c.asked_at >= utc(since),
            qlog.c.asked_at < utc(until),
        )
        .group_by(qlog.c.question)
        .order_by(times.desc(), qlog.c.question)
        .limit(limit)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [Wording(str(q), int(n), int(m)) for q, n, m in rows]


async def most_down_voted(
    engine: AsyncEngine, since: dt.datetime, until: dt.datetime, limit: int
) -> list[DownVoted]:
    """Entries whose answers got 👎 in ``[since, until)``, by how many members."""
    qlog, fb = schema.question_log, schema.feedback
    members = func.count(func.distinct(fb.c.user_hash)).label("members")
    query = (
        select(qlog.c.entry_id, members)
        .select_from(fb.join(qlog, fb.c.log_id == qlog.c.id))
        .where(
            fb.c.vote == "down",
            qlog.c.entry_id.is_not(None),
            fb.c.voted_at >= utc(since),
            fb.c.voted_at < utc(until),
        )
        .group_by(qlog.c.entry_id)
        .order_by(members.desc(), qlog.c.entry_id)
        .limit(limit)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [DownVoted(str(entry), int(n)) for entry, n in rows]


async def pending_proposals(engine: AsyncEngine, limit: int) -> tuple[int, list[PendingProposal]]:
    """How many alias proposals wait for the host, and the ones most members made."""
    proposals, proposers = schema.alias_proposals, schema.alias_proposers
    members = func.count(proposers.c.user_hash).label("members")
    pending = proposals.c.status == "pending"
    top = (
        select(proposals.c.id, proposals.c.wording, proposals.c.entry_id, members)
        .select_from(proposals.outerjoin(proposers, proposers.c.proposal_id == proposals.c.id))
        .where(pending)
        .group_by(proposals.c.id, proposals.c.wording, proposals.c.entry_id)
        .order_by(members.desc(), proposals.c.id)
        .limit(limit)
    )
    async with engine.connect() as conn:
        total = await conn.scalar(select(func.count()).select_from(proposals).where(pending))
        rows = (await conn.execute(top)).all()
    return int(total or 0), [PendingProposal(int(i), str(w), str(e), int(m)) for i, w, e, m in rows]


@dataclass(frozen=True, slots=True)
class SentToMentors:
    question: str
    link: str | None  # the conversation the mentors were sent to


async def sent_to_mentors(
    engine: AsyncEngine, since: dt.datetime, until: dt.datetime, limit: int
) -> list[SentToMentors]:
    """Questions members sent to the mentors in ``[since, until)``, oldest first."""
    requests = schema.mentor_requests
    query = (
        select(requests.c.question, requests.c.thread_ref)
        .where(
            requests.c.notified_at.is_not(None),
            requests.c.requested_at >= utc(since),
            requests.c.requested_at < utc(until),
        )
        .order_by(requests.c.requested_at)
        .limit(limit)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [SentToMentors(str(q), link) for q, link in rows]
