"""Database faults and load at the QABot level: answers keep coming, nothing lost or doubled.

PostgreSQL faults use a server of the test's own (tests/support/throwaway_postgres.py): down at
start, killed mid-run, frozen with SIGSTOP. SQLite: a write lock held by another connection,
and 100 questions a second. Each time: every ask answers within its budget with a log id, no
event is claimed twice in the process, and every log row is written exactly once.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.metrics import Metrics, metrics_routes
from bot.models import AskContext
from bot.service import QABot
from bot.settings import load_core_settings
from bot.store import LogRecord, Store
from bot.store.claims import CLAIM_WAIT
from bot.store.engine import SQLITE_BUSY_TIMEOUT
from bot.store.schema import feedback, processed_events, question_log
from tests.support.throwaway_postgres import ThrowawayPostgres

QUESTION = "How can a data engineer transition to become an AI engineer?"
CTX = AskContext("slack", workspace="T1", channel="C1", user="U1")
ASK_BUDGET = 1.0  # seconds; Slack and Discord allow 3


@pytest.fixture
async def bots(tmp_path: Path) -> AsyncIterator[list[QABot]]:
    """Bots the test starts; closed (and their queues flushed) at the end."""
    started: list[QABot] = []
    yield started
    for bot in started:
        await bot.close(within=1.0)


async def start(bots: list[QABot], url: str, data_dir: Path) -> QABot:
    settings = load_core_settings(
        {"DATABASE_URL": url, "DATA_DIR": str(data_dir), "EMBEDDING_MODEL": "word-vectors"}
    )
    bot = await QABot.start(settings, metrics=Metrics())
    bots.append(bot)
    return bot


async def ask_all(bot: QABot, n: int, label: str) -> list[int]:
    ids = []
    for i in range(n):
        started = time.perf_counter()
        asked = await bot.ask(f"{QUESTION} ({label} {i})", CTX)
        assert time.perf_counter() - started < ASK_BUDGET
        assert asked.log_id is not None
        ids.append(asked.log_id)
    return ids


async def claim_twice(bot: QABot, event_id: str) -> None:
    """A delivery and Slack's retry of it: only the first is handled."""
    started = time.perf_counter()
    assert await bot.claim_event("slack", event_id)
    assert not await bot.claim_event("slack", event_id)
    assert time.perf_counter() - started < CLAIM_WAIT + 0.5


async def stored(url: str, tmp_path: Path) -> tuple[Counter[int], list[str], int]:
    """(log ids with their count, claimed event ids, votes) as another process reads them."""
    store = Store.connect(url, tmp_path / "reader")
    try:
        async with store.engine.connect() as conn:
            ids = Counter((await conn.execute(select(question_log.c.id))).scalars().all())
            events = (await conn.execute(select(processed_events.c.event_id))).scalars().all()
            votes = len((await conn.execute(select(feedback.c.id))).all())
    finally:
        await store.close()
    return ids, list(events), votes


def assert_nothing_dropped(bot: QABot) -> None:
    samples = [s for m in bot.metrics.registry.collect() for s in m.samples]
    assert [s for s in samples if s.name == "qabot_log_dropped_total"] == []


async def healthz(metrics: Metrics) -> tuple[int, dict[str, object]]:
    app = web.Application()
    app.add_routes(metrics_routes(metrics))
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/healthz")
        return response.status, await response.json()


@pytest.mark.postgres
async def test_postgres_down_at_start(
    throwaway_postgres: ThrowawayPostgres, bots: list[QABot], tmp_path: Path
) -> None:
    server = throwaway_postgres
    server.stop()
    bot = await start(bots, server.url, tmp_path)

    ids = await ask_all(bot, 5, "down")
    await claim_twice(bot, "Ev-down")
    assert await bot.vote(ids[0], CTX, "up")
    status, body = await healthz(bot.metrics)
    assert (status, body["status"], body["database"]) == (503, "degraded", "down")
    assert body["log_queue"] == 7

    server.start()
    assert await bot.flush(15)

    assert await healthz(bot.metrics) == (
        200,
        {
            "status": "ok",
            "database": "ok",
            "log_queue": 0,
            "log_dropped": 0,
            "matching": "word-vectors",
        },
    )
    logged, events, votes = await stored(server.url, tmp_path)
    assert logged == Counter(ids) and events == ["Ev-down"] and votes == 1
    assert_nothing_dropped(bot)


@pytest.mark.postgres
async def test_postgres_killed_mid_run(
    throwaway_postgres: ThrowawayPostgres, bots: list[QABot], tmp_path: Path
) -> None:
    server = throwaway_postgres
    bot = await start(bots, server.url, tmp_path)
    before = await ask_all(bot, 3, "before")
    assert await bot.flush(5)

    server.kill()
    during = await ask_all(bot, 3, "during")
    await claim_twice(bot, "Ev-killed")
    assert await bot.vote(before[0], CTX, "down")
    server.start()

    assert await bot.flush(15)
    logged, events, votes = await stored(server.url, tmp_path)
    assert logged == Counter(before + during) and events == ["Ev-killed"] and votes == 1
    assert_nothing_dropped(bot)


@pytest.mark.postgres
async def test_postgres_frozen(
    throwaway_postgres: ThrowawayPostgres, bots: list[QABot], tmp_path: Path
) -> None:
    server = throwaway_postgres
    bot = await start(bots, server.url, tmp_path)
    before = await ask_all(bot, 2, "before")
    assert await bot.flush(5)

    server.freeze()
    try:
        during = await ask_all(bot, 3, "during")
        await claim_twice(bot, "Ev-frozen")
        await claim_twice(bot, "Ev-frozen-2")
    finally:
        server.thaw()

    assert await bot.flush(20)
    logged, events, _ = await stored(server.url, tmp_path)
    assert logged == Counter(before + during)
    assert sorted(events) == ["Ev-frozen", "Ev-frozen-2"]
    assert_nothing_dropped(bot)


async def test_sqlite_locked_by_another_connection(bots: list[QABot], tmp_path: Path) -> None:
    path = tmp_path / "qabot.sqlite3"
    url = f"sqlite:///{path}"
    bot = await start(bots, url, tmp_path)
    before = await ask_all(bot, 2, "before")
    assert await bot.flush(5)
    other = Store.connect(url, tmp_path)
    lock = sqlite3.connect(path, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        during = await ask_all(bot, 3, "during")
        await claim_twice(bot, "Ev-locked")
        started = time.perf_counter()
        with pytest.raises(Exception, match="database is locked"):
            record = LogRecord(bot.clock(), "slack", None, None, None, "q", "abstained", None, 0, 0)
            await other.log_question(record)
        assert time.perf_counter() - started < SQLITE_BUSY_TIMEOUT + 0.5
        assert await bot.flush(0.5) is False  # the rows wait for the lock...
        assert bot.metrics.health().database == "ok"  # ...and slowness is not an outage
    finally:
        lock.rollback()
        lock.close()
        await other.close()

    assert await bot.flush(10)
    logged, events, _ = await stored(url, tmp_path)
    assert logged == Counter(before + during) and events == ["Ev-locked"]
    assert_nothing_dropped(bot)


async def test_sqlite_100_questions_a_second_are_each_logged_once(
    bots: list[QABot], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'qabot.sqlite3'}"
    bot = await start(bots, url, tmp_path)
    n, rate = 250, 100.0
    latencies: list[float] = []

    async def mention(i: int) -> int | None:
        started = time.perf_counter()
        if not await bot.claim_event("slack", f"Ev{i}"):
            return None
        asked = await bot.ask(f"{QUESTION} #{i}", CTX)
        latencies.append(time.perf_counter() - started)
        return asked.log_id

    tasks = []
    for i in range(n):
        tasks.append(asyncio.create_task(mention(i)))
        if i % 5 == 4:
            tasks.append(asyncio.create_task(mention(i)))  # Slack's retry of the same event
        await asyncio.sleep(1 / rate)
    results = await asyncio.gather(*tasks)

    ids = [r for r in results if r is not None]
    assert len(ids) == n and len(set(ids)) == n
    assert max(latencies) < ASK_BUDGET
    assert await bot.flush(10)
    logged, events, _ = await stored(url, tmp_path)
    assert logged == Counter(ids) and len(events) == n
    assert_nothing_dropped(bot)
