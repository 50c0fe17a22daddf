"""Question log, feedback votes, event claims and pruning, via the QABot facade and the store."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import RowMapping, select

from bot.metrics import Metrics
from bot.models import Answer, AskContext
from bot.service import QABot
from bot.store import LogRecord, Store, new_log_id
from bot.store.schema import feedback, question_log, settings
from tests.store.support import Clock, Database

QUESTION = "How can a data engineer transition to become an AI engineer?"
ALICE = AskContext("slack", workspace="T1", channel="C1", user="U0ALICE42")
BOB = AskContext("slack", workspace="T1", channel="C1", user="U0BOB77")


async def start(db: Database, clock: Clock, **changes: object) -> QABot:
    store = db.store()
    return await QABot.start(db.settings(**changes), clock=clock, store=store, metrics=Metrics())


def record(asked_at: dt.datetime, question: str = "q?") -> LogRecord:
    return LogRecord(asked_at, "discord", "G1", "C9", "hash", question, "answered", "e#1", 0.9, 5.0)


async def logged(bot: QABot, *log_ids: int | None) -> list[RowMapping]:
    """The log rows of ``log_ids``, in that order, once the queue is written."""
    assert await bot.flush(5.0)
    async with bot.store.engine.connect() as conn:
        rows = (await conn.execute(select(question_log))).mappings().all()
    by_id = {row["id"]: row for row in rows}
    assert len(rows) == len(log_ids)
    return [by_id[log_id] for log_id in log_ids]


async def test_ask_logs_the_question_with_a_salted_hash_never_the_raw_user_id(
    db: Database, clock: Clock
) -> None:
    bot = await start(db, clock)

    asked = await bot.ask(QUESTION, ALICE)
    again = await bot.ask("something nobody ever asked about quantum knitting", ALICE)
    other = await bot.ask(QUESTION, BOB)

    assert isinstance(asked.result, Answer)
    rows = await logged(bot, asked.log_id, again.log_id, other.log_id)
    assert [r["outcome"] for r in rows] == ["answered", "abstained", "answered"]
    assert rows[0]["entry_id"] == asked.result.entry.id
    assert rows[0]["platform"] == "slack" and rows[0]["workspace"] == "T1"
    assert rows[0]["asked_at"].replace(tzinfo=dt.UTC) == clock.now
    hashes = [r["user_hash"] for r in rows]
    assert hashes[0] == hashes[1] != hashes[2]
    assert all("ALICE" not in h and "BOB" not in h and len(h) == 64 for h in hashes)
    for row in rows:
        assert "U0ALICE42" not in str(dict(row)) and "U0BOB77" not in str(dict(row))


async def test_the_generated_salt_is_kept_and_shared_by_every_process(
    db: Database, clock: Clock
) -> None:
    first, second = await start(db, clock), await start(db, clock)

    a = await first.ask(QUESTION, ALICE)
    b = await second.ask(QUESTION, ALICE)

    assert await first.flush() and await second.flush()
    async with first.store.engine.connect() as conn:
        salts = (await conn.execute(select(settings.c.value))).scalars().all()
        hashes = (await conn.execute(select(question_log.c.user_hash))).scalars().all()
    assert len(salts) == 1 and len(salts[0]) == 64
    assert a.log_id != b.log_id and hashes[0] == hashes[1]


async def test_user_id_salt_setting_is_used_instead_of_a_generated_one(
    db: Database, clock: Clock
) -> None:
    first = await start(db, clock, user_id_salt="pepper-1")
    second = await start(db, clock, user_id_salt="pepper-2")

    await first.ask(QUESTION, ALICE)
    await second.ask(QUESTION, ALICE)

    assert await first.flush() and await second.flush()
    async with first.store.engine.connect() as conn:
        hashes = (await conn.execute(select(question_log.c.user_hash))).scalars().all()
        assert (await conn.execute(select(settings))).all() == []
    assert hashes[0] != hashes[1]


async def test_questions_are_capped_at_2000_characters(store: Store, clock: Clock) -> None:
    log_id = await store.log_question(record(clock.now, "why " * 1500))

    async with store.engine.connect() as conn:
        stored = await conn.scalar(
            select(question_log.c.question).where(question_log.c.id == log_id)
        )
    assert stored == ("why " * 1500)[:2000]


async def test_votes_are_one_per_user_per_answer_and_changeable(db: Database, clock: Clock) -> None:
    bot = await start(db, clock)
    log_id = (await bot.ask(QUESTION, ALICE)).log_id
    assert log_id is not None

    assert await bot.vote(log_id, ALICE, "up")
    assert await bot.vote(log_id, ALICE, "up")  # the same vote again changes nothing
    assert await bot.vote(log_id, BOB, "up")
    assert await bot.flush()
    assert await bot.store.votes(log_id) == {"up": 2, "down": 0}

    assert await bot.vote(log_id, ALICE, "down")
    assert await bot.flush()
    assert await bot.store.votes(log_id) == {"up": 1, "down": 1}
    assert not await bot.vote(log_id, AskContext("slack"), "down")  # no user to count
    assert bot.metrics.registry.get_sample_value("qabot_feedback_total", {"vote": "up"}) == 3


async def test_a_vote_written_before_its_answer_row_counts_once_the_row_arrives(
    db: Database, clock: Clock
) -> None:
    """Another process may still hold the answer's row in its queue when the vote is written."""
    bot = await start(db, clock)
    log_id = new_log_id()

    assert await bot.vote(log_id, BOB, "down")
    assert await bot.flush()
    assert await bot.store.votes(log_id) == {"up": 0, "down": 1}
    await db.store().log_question(record(clock.now), log_id=log_id)  # the other process's row

    until = clock.now + dt.timedelta(days=1)
    assert await bot.store.down_votes(clock.now, until) == {"e#1": 1}


async def test_claim_event_is_atomic_across_concurrent_processes(
    db: Database, store: Store, clock: Clock
) -> None:
    stores = [db.store() for _ in range(10)]

    claims = await asyncio.gather(*(s.claim_event("slack", "Ev123", clock()) for s in stores))

    assert sorted(claims) == [False] * 9 + [True]
    assert await store.claim_event("slack", "Ev124", clock())
    assert await store.claim_event("discord", "Ev123", clock())


async def test_pruning_removes_old_questions_with_their_feedback(
    db: Database, clock: Clock
) -> None:
    bot = await start(db, clock, log_retention_days=30)
    old_id = await bot.store.log_question(record(clock.now - dt.timedelta(days=31), "old?"))
    new_id = await bot.store.log_question(record(clock.now - dt.timedelta(days=29), "new?"))
    await bot.store.vote(old_id, "h1", "down", clock.now)
    await bot.store.vote(new_id, "h1", "up", clock.now)
    await bot.store.claim_event("slack", "Ev-old", clock.now - dt.timedelta(days=40))

    pruned = await bot.prune()

    assert pruned is not None
    assert (pruned.questions, pruned.feedback, pruned.events) == (1, 1, 1)
    async with bot.store.engine.connect() as conn:
        assert (await conn.execute(select(question_log.c.question))).scalars().all() == ["new?"]
        assert (await conn.execute(select(feedback.c.log_id))).scalars().all() == [new_id]
    assert await bot.store.claim_event("slack", "Ev-old", clock.now)


async def test_a_long_running_bot_prunes_once_a_day_in_the_background(
    db: Database, clock: Clock
) -> None:
    bot = await start(db, clock, log_retention_days=30)
    await bot.store.log_question(record(clock.now - dt.timedelta(days=29, hours=12), "aging?"))
    await bot.ask(QUESTION, ALICE)  # pruned at start, so not again yet

    clock.advance(days=1)
    await bot.ask(QUESTION, ALICE)
    await bot.close()

    async with db.store().engine.connect() as conn:
        questions = (await conn.execute(select(question_log.c.question))).scalars().all()
    assert questions == [QUESTION, QUESTION]
