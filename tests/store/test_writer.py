"""The log writer: a full queue drops rows (counted, logged once); close is bounded."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.metrics import Metrics
from bot.store import QuestionRow, Store, new_log_id
from bot.store.schema import question_log
from bot.store.writer import LogWriter
from tests.store.support import Clock


def question(clock: Clock) -> QuestionRow:
    return QuestionRow(new_log_id(), clock.now, "slack", "T1", "C1", "U1", "q?", "abstained",
                       None, 0.1, 1.0)  # fmt: skip


async def test_an_overflow_drops_rows_counts_them_and_is_logged_once(
    store: Store, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    metrics = Metrics()
    writer = LogWriter(store, metrics, salt="s", ready=True, capacity=3)
    accepted = [writer.put(question(clock)) for _ in range(5)]  # the writer is not running yet

    assert accepted == [True, True, True, False, False]
    assert metrics.registry.get_sample_value("qabot_log_dropped_total", {"kind": "question"}) == 2
    assert writer.health().log_dropped == 2 and writer.health().log_queue == 3
    writer.start()
    assert await writer.flush(5)
    assert writer.put(question(clock))  # room again: the overflow is over
    assert writer.put(question(clock)) and writer.put(question(clock))
    assert await writer.flush(5)

    async with store.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(question_log)) == 6
    overflows = [r.getMessage() for r in caplog.records if "log queue was full" in r.getMessage()]
    assert overflows == ["the log queue was full (3 rows): dropped 2 rows"]
    assert await writer.close() == 0


async def test_close_gives_up_within_its_bound_and_counts_what_was_not_written(
    tmp_path: Path, clock: Clock
) -> None:
    store = Store.connect("postgresql://postgres@127.0.0.1:1/none", tmp_path)
    metrics = Metrics()
    writer = LogWriter(store, metrics, salt="s", ready=True)
    writer.start()
    for _ in range(3):
        writer.put(question(clock))

    started = time.perf_counter()
    assert await writer.close(0.3) == 3

    assert time.perf_counter() - started < 0.3 + 0.5 + 0.2
    assert metrics.registry.get_sample_value("qabot_log_dropped_total", {"kind": "question"}) == 3
    assert writer.health().database == "down"
    await store.close()


async def test_rows_wait_while_the_database_is_unreachable_without_a_busy_loop(
    tmp_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    store = Store.connect("postgresql://postgres@127.0.0.1:1/none", tmp_path)
    metrics = Metrics()
    writer = LogWriter(store, metrics, salt="s", ready=True, retry_delays=(0.05, 0.2))
    writer.start()
    writer.put(question(clock))

    assert not await writer.flush(0.6)

    attempts = metrics.registry.get_sample_value("qabot_errors_total", {"kind": "db_write"})
    assert attempts is not None and 3 <= attempts <= 15  # retried, with backoff
    unavailable = [r for r in caplog.records if "database is unavailable" in r.getMessage()]
    assert len(unavailable) == 1  # logged once per outage, not once per attempt
    assert writer.pending == 1
    await writer.close(0.1)
    await store.close()
