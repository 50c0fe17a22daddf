"""Database faults under traffic, against one real ``qabot slack --http`` process, and the
checks a run must pass: shared by ``scripts/load_and_faults.py`` and the e2e tests.

Faults: PostgreSQL down at start, killed mid-run, frozen (SIGSTOP), and SQLite locked by
another connection holding the write lock.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from tests.support.slack_load import SlackBot, Totals
from tests.support.throwaway_postgres import PostgresServer

P99_ACK_LIMIT = 1.0  # seconds; Slack allows 3
STALL_AFTER = 10.0  # bot.store.writer.STALL_AFTER: a hanging database is "down" after this

Action = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"  [{'ok' if self.ok else 'FAIL'}] {self.name}: {self.detail}"


@dataclass
class Fault:
    """What is done to the database, when, and what /healthz must show meanwhile."""

    name: str
    begin: Action
    end: Action
    hold: float  # seconds the fault lasts under traffic
    at_start: bool = False  # begun before the bot starts
    expect_degraded: bool = True


@dataclass
class Observed:
    degraded: bool = False  # /healthz said 503 "degraded" while the fault lasted
    silent: int = 0  # /healthz polls the process did not answer at all
    recovered_after: float | None = None  # seconds from the fault's end to /healthz 200
    same_process: bool = True


def load_checks(totals: Totals, p99_limit: float = P99_ACK_LIMIT) -> list[Check]:
    sent, questions = len(totals.sent), len(totals.questions)
    once, more, never = totals.log_counts()
    p99 = totals.latency(0.99)
    exactly = totals.answered(1)
    return [
        Check("every request acked 2xx", totals.acked == sent, f"{totals.acked}/{sent}"),
        Check(f"p99 ack <= {p99_limit:g} s", p99 <= p99_limit, f"{p99 * 1000:.0f} ms"),
        Check(
            "every event answered exactly once",
            exactly == questions and totals.apologies == 0,
            f"once {exactly}, twice+ {totals.answered_more}, never {totals.answered(0)}, "
            f"apologies {totals.apologies} (of {questions})",
        ),
        Check(
            "every question logged exactly once",
            once == questions,
            f"once {once}, twice+ {more}, missing {never} {totals.missing()[:5]}; "
            f"dropped metric {totals.dropped:g}",
        ),
    ]


def fault_checks(totals: Totals, observed: Observed, fault: Fault) -> list[Check]:
    once, more, never = totals.log_counts()
    checks = [
        Check(
            "no event answered twice",
            totals.answered_more == 0,
            f"{totals.answered_more} of {len(totals.questions)}",
        ),
        Check(
            "no answer lost (the platform is reachable)",
            totals.answered(0) == 0 and totals.apologies == 0,
            f"never answered {totals.answered(0)}, apologies {totals.apologies}",
        ),
        Check(
            "no log row lost unless counted as overflow",
            more == 0 and never <= totals.dropped,
            f"logged {once}, twice+ {more}, missing {never} {totals.missing()[:5]}, "
            f"dropped metric {totals.dropped:g}",
        ),
        Check(
            "recovers without a restart",
            observed.same_process and observed.recovered_after is not None,
            f"/healthz ok {observed.recovered_after:.1f} s after the fault ended"
            if observed.recovered_after is not None
            else "/healthz never ok again",
        ),
        Check(
            "/healthz answers throughout",
            observed.silent == 0,
            f"{observed.silent} polls unanswered",
        ),
    ]
    if fault.expect_degraded:
        checks.append(
            Check("/healthz degraded while it is down", observed.degraded, str(observed.degraded))
        )
    return checks


async def run_fault(
    bot: SlackBot, fault: Fault, *, rate: float, before: float, after: float
) -> tuple[Totals, Observed]:
    """Traffic at ``rate`` for ``before`` s, the fault for ``fault.hold`` s, then ``after`` s;
    returns what the bot did once everything settled."""
    observed = Observed()
    if fault.at_start:
        await fault.begin()
        before = 0.0
    await bot.start()
    assert bot.process is not None
    pid = bot.process.pid
    traffic = asyncio.create_task(bot.load(rate, before + fault.hold + after))
    try:
        await asyncio.sleep(before)
        if not fault.at_start:
            await fault.begin()
        await _watch(bot, observed, fault.hold)
        await fault.end()
        ended = time.monotonic()
        while time.monotonic() - ended < max(after, 0.1) + STALL_AFTER + 20:
            health = await bot.health()
            if health and health["_status"] == 200:
                observed.recovered_after = time.monotonic() - ended
                break
            await asyncio.sleep(0.1)
        await traffic
    finally:
        if not traffic.done():
            traffic.cancel()
    await bot.settle()
    observed.same_process = bot.process.running and bot.process.pid == pid
    return await bot.finish(), observed


async def _watch(bot: SlackBot, observed: Observed, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        health = await bot.health()
        if health is None:
            observed.silent += 1
        elif health["_status"] == 503 and health.get("status") == "degraded":
            observed.degraded = True
        await asyncio.sleep(0.2)


def postgres_faults(server: PostgresServer, hold: float, frozen_hold: float) -> list[Fault]:
    """The PostgreSQL faults, in order; each leaves the server running."""

    async def stop() -> None:
        await asyncio.to_thread(server.stop)

    async def start() -> None:
        await asyncio.to_thread(server.start)

    async def kill() -> None:
        await asyncio.to_thread(server.kill)

    async def freeze() -> None:
        server.freeze()

    async def thaw() -> None:
        server.thaw()

    return [
        Fault("PostgreSQL down at start", stop, start, hold, at_start=True),
        Fault("PostgreSQL killed mid-run", kill, start, hold),
        Fault("PostgreSQL frozen (SIGSTOP)", freeze, thaw, frozen_hold),
    ]


class SqliteLock:
    """Another connection holding SQLite's write lock (BEGIN IMMEDIATE) until released."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn: sqlite3.Connection | None = None

    async def take(self) -> None:
        def take() -> sqlite3.Connection:
            conn = sqlite3.connect(
                self.path, timeout=10, isolation_level=None, check_same_thread=False
            )
            conn.execute("BEGIN IMMEDIATE")
            return conn

        self.conn = await asyncio.to_thread(take)

    async def release(self) -> None:
        if self.conn is not None:
            self.conn.execute("ROLLBACK")
            self.conn.close()
            self.conn = None


def sqlite_fault(path: Path, hold: float, *, expect_degraded: bool) -> Fault:
    lock = SqliteLock(path)
    return Fault(
        "SQLite locked by another writer",
        lock.take,
        lock.release,
        hold,
        expect_degraded=expect_degraded,
    )
