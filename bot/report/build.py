"""Build a :class:`Report` from the store's aggregates, the knowledge and a meaning encoder."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from bot.errors import UsageError
from bot.knowledge import KnowledgeBase
from bot.knowledge.check import scope_hint
from bot.meaning import MeaningEncoder
from bot.models import Entry
from bot.off_topic import NOT_ABOUT_THE_COURSE
from bot.report import grouping
from bot.report.model import (
    DayCount,
    EntryCount,
    FlaggedAnswer,
    Limits,
    QuestionGroup,
    Report,
)
from bot.store import report_queries as queries
from bot.store.clean import stored_entry_id

if TYPE_CHECKING:
    from bot.store import Store

T = TypeVar("T")
ENCODE_CHUNK = 256
QUESTIONS_PER_FLAG = 5  # members' questions shown with a flagged answer


async def build_report(
    store: Store,
    knowledge: KnowledgeBase,
    since: dt.datetime,
    until: dt.datetime,
    limits: Limits | None = None,
    source: str | None = None,
    *,
    encoder: MeaningEncoder | None = None,
    channel_knowledge: Mapping[str, Sequence[str]] | None = None,
    parallel: bool = False,
) -> Report:
    """The report on questions asked in ``[since, until)``.

    ``source`` (a source, course folder or path, as in CHANNEL_KNOWLEDGE) narrows the entries
    to that part of the knowledge, and the questions to the channels CHANNEL_KNOWLEDGE ties to
    it; when no channel is tied to it, every channel's questions are read. ``encoder`` groups
    unanswered questions by meaning and tells off-topic ones apart; without one they are
    grouped by their letters. ``parallel`` runs the independent queries at once, one
    connection each (up to five): for ``qabot report``, not for a worker, whose pool is sized
    for its writer and event claims.
    """
    limits = limits or Limits()
    entries, channels = _scope(knowledge, source, channel_knowledge or {})
    window = queries.Window(since, until, channels)
    by_stored = {stored_entry_id(e.id): e for e in entries}
    async with store.engine.connect() as conn:
        await conn.execution_options(read_only=True)
        per_day = await queries.per_day(conn, window)
        asked_in_window = sum(row.count for row in per_day)
        # SQLite reads a window that is most of the log faster by reading the whole table.
        most = store.backend == "sqlite" and asked_in_window * 10 > await queries.logged(conn)
    # The rest are independent: with ``parallel``, the database runs them at once.
    turns = asyncio.Semaphore(5 if parallel else 1)
    latency, answered, wordings, all_votes, mentors = await asyncio.gather(
        _read(turns, store, queries.latency_percentiles, window, asked_in_window),
        _read(turns, store, queries.answered_per_entry, window),
        _read(
            turns, store, queries.abstained_wordings, window, limits.grouped, most_of_the_log=most
        ),
        _read(turns, store, queries.down_votes, window),
        _read(turns, store, queries.mentor_questions, window),  # rate-limited: few
    )
    votes = [v for v in all_votes if v.entry_id in by_stored]
    flagged_ids = [
        v.entry_id for v in votes if v.members >= limits.flag_members and v.votes > v.up
    ][: limits.down_voted]
    voted_questions = await _read(turns, store, queries.down_voted_questions, window, flagged_ids)
    groups, off_topic, grouped_by = await _unanswered(store, knowledge, wordings, encoder, limits)
    matched = sorted(
        ((by_stored[e], n) for e, n in answered.items() if e in by_stored),
        key=lambda item: (-item[1], item[0].id),
    )
    never = [e for e in entries if stored_entry_id(e.id) not in answered]
    days = [
        since.date() + dt.timedelta(days=n) for n in range((until.date() - since.date()).days + 1)
    ]
    asked = {d: 0 for d in days}
    answered_on = {d: 0 for d in days}
    for row in per_day:
        asked[row.day] = asked.get(row.day, 0) + row.count
        if row.outcome == "answered":
            answered_on[row.day] = answered_on.get(row.day, 0) + row.count
    return Report(
        since=since,
        until=until,
        source=source,
        channels=None if channels is None else tuple(sorted(channels)),
        questions=sum(asked.values()),
        answered=sum(answered_on.values()),
        per_day=tuple(DayCount(d, asked[d], answered_on[d]) for d in sorted(asked)),
        latency_ms=tuple(sorted(latency.items())),
        groups=tuple(groups[: limits.groups]),
        groups_total=len(groups),
        off_topic=tuple(off_topic[: limits.groups]),
        off_topic_total=len(off_topic),
        grouped_by=grouped_by,
        most_down_voted=tuple(
            EntryCount(by_stored[v.entry_id].id, by_stored[v.entry_id].question, v.votes)
            for v in votes[: limits.down_voted]
        ),
        down_voted_total=len(votes),
        flagged=_flagged(flagged_ids, votes, voted_questions, by_stored),
        most_matched=tuple(EntryCount(e.id, e.question, n) for e, n in matched[: limits.matched]),
        matched_total=len(matched),
        never_matched=tuple(never[: limits.never_matched]),
        never_matched_total=len(never),
        mentor_questions=tuple(
            QuestionGroup(w.text, w.count, ()) for w in mentors[: limits.mentor]
        ),
        mentor_total=len(mentors),
    )


async def _read(
    turns: asyncio.Semaphore,
    store: Store,
    query: Callable[..., Awaitable[T]],
    *args: Any,
    **kwargs: Any,
) -> T:
    """One of the report's queries, on a connection of its own when its turn comes."""
    async with turns, store.engine.connect() as conn:
        await conn.execution_options(read_only=True)  # SQLite: no write lock (engine.py)
        return await query(conn, *args, **kwargs)


def _scope(
    knowledge: KnowledgeBase, source: str | None, channel_knowledge: Mapping[str, Sequence[str]]
) -> tuple[Sequence[Entry], frozenset[str] | None]:
    """The entries of ``source`` and the channels tied to it (None: every channel)."""
    if source is None:
        return knowledge.entries, None
    positions = knowledge.scope([source])
    if not positions:
        raise UsageError(
            f"--source {source!r} names no part of the knowledge; {scope_hint(knowledge)}"
        )
    channels = frozenset(
        channel
        for channel, names in channel_knowledge.items()
        if knowledge.scope(names) & positions
    )
    return [knowledge.entries[i] for i in sorted(positions)], channels or None


def _flagged(
    entry_ids: Sequence[str],
    votes: Sequence[queries.DownVotes],
    questions: Sequence[queries.DownVotedQuestion],
    by_stored: Mapping[str, Entry],
) -> tuple[FlaggedAnswer, ...]:
    members = {v.entry_id: v.members for v in votes}
    return tuple(
        FlaggedAnswer(
            entry_id=by_stored[entry_id].id,
            question=by_stored[entry_id].question,
            members=members[entry_id],
            asked=tuple(q.question for q in questions if q.entry_id == entry_id)[
                :QUESTIONS_PER_FLAG
            ],
        )
        for entry_id in entry_ids
    )


async def _unanswered(
    store: Store,
    knowledge: KnowledgeBase,
    wordings: Sequence[queries.Wording],
    encoder: MeaningEncoder | None,
    limits: Limits,
) -> tuple[list[QuestionGroup], list[QuestionGroup], str]:
    """(real gaps, off-topic groups, what grouped them)."""
    spellings = grouping.merge_spellings([(w.text, w.count) for w in wordings])
    if encoder is None:
        members = grouping.by_text(spellings)
        return grouping.as_groups(spellings, members, limits.wordings), [], "text"
    group_at, off_topic_at = grouping.thresholds(encoder.name)
    vectors = await question_vectors(store, encoder, [s.text for s in spellings])
    examples = await question_vectors(store, encoder, [*NOT_ABOUT_THE_COURSE, *knowledge.off_topic])
    members = grouping.by_meaning(vectors, group_at)
    heads = vectors[[ids[0] for ids in members]] if members else vectors[:0]
    away = grouping.off_topic(heads, examples, off_topic_at)
    gaps = [ids for ids, out in zip(members, away, strict=True) if not out]
    aside = [ids for ids, out in zip(members, away, strict=True) if out]
    return (
        grouping.as_groups(spellings, gaps, limits.wordings),
        grouping.as_groups(spellings, aside, limits.wordings),
        encoder.name,
    )


async def meaning_clusters(
    store: Store, knowledge: KnowledgeBase, texts: Sequence[str], encoder: MeaningEncoder
) -> list[list[int]]:
    """Indexes of ``texts`` (most asked first) grouped by meaning as the report groups them;
    groups that are not about the course (weather, salary, small talk) are left out."""
    if not texts:
        return []
    group_at, off_topic_at = grouping.thresholds(encoder.name)
    vectors = await question_vectors(store, encoder, texts)
    examples = await question_vectors(store, encoder, [*NOT_ABOUT_THE_COURSE, *knowledge.off_topic])
    members = grouping.by_meaning(vectors, group_at)
    away = grouping.off_topic(vectors[[ids[0] for ids in members]], examples, off_topic_at)
    return [ids for ids, out in zip(members, away, strict=True) if not out]


async def question_vectors(
    store: Store, encoder: MeaningEncoder, texts: Sequence[str]
) -> np.ndarray:
    """Unit vectors of ``texts``; a blocking (sentence) model's are cached in the database.

    Encoding takes a few milliseconds a question, so the first report after many new questions
    takes seconds; the next one reads their vectors (embedding_cache) and encodes only new ones.
    """
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    if not encoder.blocking:
        return np.asarray(encoder.encode(texts), dtype=np.float32)
    model_key = "report-questions:" + hashlib.sha256(encoder.identity.encode()).hexdigest()[:24]
    keys = [hashlib.sha256(text.encode()).hexdigest()[:32] for text in texts]
    cached = await store.embeddings_get(model_key, keys)
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cached}.items())
    found = {k: np.frombuffer(v, dtype=np.float16).astype(np.float32) for k, v in cached.items()}
    if missing:
        fresh = await asyncio.to_thread(_encode_in_chunks, encoder, [t for _, t in missing])
        found.update(
            (k, np.asarray(v, dtype=np.float32)) for (k, _), v in zip(missing, fresh, strict=True)
        )
        await store.embeddings_put(
            model_key, {k: np.asarray(found[k], dtype=np.float16).tobytes() for k, _ in missing}
        )
    return np.stack([found[k] for k in keys])


def _encode_in_chunks(encoder: MeaningEncoder, texts: Sequence[str]) -> np.ndarray:
    """Encode a few hundred texts at a time: one batch of 3,000 holds 30 MB more at its peak."""
    return np.concatenate(
        [encoder.encode(texts[i : i + ENCODE_CHUNK]) for i in range(0, len(texts), ENCODE_CHUNK)]
    )
