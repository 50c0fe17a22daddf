"""Database faults against the real ``qabot slack --http`` process and the fake Slack, under
traffic (``/ask`` and mentions, some mentions delivered twice as Slack retries them).

PostgreSQL (a throwaway server of the tests' own) goes down before the start, is killed
mid-run and frozen, all under ONE process; SQLite is locked by another writer. Each time: every
event is answered exactly once (never an apology), every question is in the log exactly once
at the end, /healthz says "degraded" while the database is down and "ok" again afterwards,
and the process recovers without a restart. ``scripts/load_and_faults.py --faults`` runs the
same faults longer (a frozen database is "down" only after 10 s of waiting rows).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.support.database_faults import SqliteLock
from tests.support.slack_load import SlackBot, Totals
from tests.support.throwaway_postgres import ThrowawayPostgres

RATE = 10.0  # requests a second: enough to have events and rows in flight at each fault
LEXICAL = {"EMBEDDING_MODEL": "off"}  # the quickest start; matching is not under test here


async def health_status(bot: SlackBot) -> str:
    health = await bot.health()
    assert health is not None, "/healthz did not answer"
    return str(health["status"])


async def until_status(bot: SlackBot, status: str, within: float = 15.0) -> float:
    started = time.monotonic()
    while (seen := await health_status(bot)) != status:
        assert time.monotonic() - started < within, f"/healthz still {seen!r} after {within} s"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


def assert_nothing_lost_or_doubled(totals: Totals) -> None:
    questions = len(totals.questions)
    assert totals.acked == len(totals.sent), [s for s in totals.sent if s.status != 200][:5]
    assert totals.answered_more == 0, "an event was answered twice"
    assert totals.answered(1) == questions, f"never answered: {totals.answered(0)}"
    assert totals.apologies == 0
    assert totals.log_counts() == (questions, 0, 0), totals.missing()[:10]
    assert totals.dropped == 0


async def test_postgres_down_at_start_killed_and_frozen_one_process_loses_and_doubles_nothing(
    throwaway_postgres: ThrowawayPostgres, tmp_path: Path
) -> None:
    pg = throwaway_postgres
    bot = SlackBot(tmp_path, pg.url, **LEXICAL)
    try:
        pg.stop()
        await bot.start()
        assert bot.process is not None
        pid = bot.process.pid
        await bot.load(RATE, 1.5)  # answered from memory; rows and claims wait in the queue
        assert await health_status(bot) == "degraded"
        pg.start()
        await until_status(bot, "ok")

        traffic = asyncio.create_task(bot.load(RATE, 3.0))
        await asyncio.sleep(0.5)
        pg.kill()
        await until_status(bot, "degraded", within=5)
        await asyncio.to_thread(pg.start)
        await until_status(bot, "ok")
        await traffic

        traffic = asyncio.create_task(bot.load(RATE, 3.0))
        await asyncio.sleep(0.5)
        pg.freeze()  # degraded only after 10 s of waiting rows: the script covers that
        await asyncio.sleep(2.0)
        assert await bot.health() is not None  # /healthz answers while the database hangs
        pg.thaw()
        await traffic
        await until_status(bot, "ok")

        await bot.settle(within=20, quiet=0.5)
        assert bot.process.running and bot.process.pid == pid  # never restarted
        totals = await bot.finish()
    finally:
        await bot.stop()

    assert_nothing_lost_or_doubled(totals)
    assert bot.exit_status == 0


async def test_sqlite_locked_by_another_writer_loses_and_doubles_nothing(tmp_path: Path) -> None:
    database = tmp_path / "data" / "qa.sqlite3"
    bot = SlackBot(tmp_path, f"sqlite:///{database}", **LEXICAL)
    lock = SqliteLock(database)
    try:
        await bot.start()
        traffic = asyncio.create_task(bot.load(RATE, 4.0))
        await asyncio.sleep(0.5)
        await lock.take()
        await asyncio.sleep(3.0)  # longer than the write timeout: batches fail and wait
        assert await bot.health() is not None
        await lock.release()
        await traffic
        await until_status(bot, "ok")
        await bot.settle(within=20, quiet=0.5)
        totals = await bot.finish()
    finally:
        await lock.release()
        await bot.stop()

    assert_nothing_lost_or_doubled(totals)
