"""The log writer: question-log, feedback, pick and claim rows are written off the request path.

Rows go into a bounded in-process queue; one background task writes them in batches, one
transaction per batch, as fast as the database takes them (a batch is whatever arrived while
the previous one was written). While the database is down or slow, rows wait and are written
once it answers; nothing is paused or skipped. Only a full queue drops rows: each is counted in
``qabot_log_dropped_total`` and every overflow is logged once, with the number dropped. A row
the database refuses for its data is dropped alone and counted as ``db_data``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Literal

from sqlalchemy.exc import DBAPIError

from bot.errors import StoreError
from bot.metrics import Health, Metrics
from bot.store.errors import DATABASE_ERRORS, describe, is_data_error
from bot.store.rows import EventClaim, EventRelease, PickRow, QuestionRow, Row
from bot.store.store import Store

log = logging.getLogger(__name__)

WRITE_TIMEOUT = 3.0  # seconds one batch may take; longer than SQLite's busy timeout (2 s)
UPGRADE_TIMEOUT = 120.0  # a schema upgrade the writer runs (the database was down at start)
CAPACITY = 20_000  # rows: 40 minutes at Slack's most events per app and workspace (30,000/h)
BATCH_SIZE = 500
RETRY_DELAYS = (0.2, 5.0)  # first and longest wait between attempts while the database fails
STALL_AFTER = 10.0  # seconds a row may wait before a hanging database counts as down
CLOSE_TIMEOUT = 5.0  # seconds ``close`` spends writing what is queued (Heroku allows 30 s)

Failure = Literal["unreachable", "slow", "schema"]


class LogWriter:
    """A bounded queue of rows and the task that writes them."""

    def __init__(
        self,
        store: Store,
        metrics: Metrics,
        *,
        salt: str | None = None,
        ready: bool = False,
        capacity: int = CAPACITY,
        batch_size: int = BATCH_SIZE,
        write_timeout: float = WRITE_TIMEOUT,
        retry_delays: tuple[float, float] = RETRY_DELAYS,
        stall_after: float = STALL_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.ready = ready  # the schema is known to be current
        self.capacity = capacity
        self.batch_size = batch_size
        self.write_timeout = write_timeout
        self.retry_delays = retry_delays
        self.stall_after = stall_after
        self.clock = clock
        self._salt = salt
        self._rows: deque[tuple[float, Row]] = deque()  # (queued at, row), oldest first
        self._refused: set[int] = set()  # ids of queued rows the database refused
        self._rows_waiting = asyncio.Event()
        self._retry_now = asyncio.Event()
        self._empty = asyncio.Event()
        self._empty.set()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._failure: Failure | None = None
        self._failing_since = 0.0
        self._answered = False  # the database has answered at least once
        self._overflow = 0  # rows dropped in the current overflow
        self._dropped = 0

    # --- the request path: never waits ------------------------------------------------------

    def put(self, row: Row) -> bool:
        """Queue a row; False (and counted) when the queue is full."""
        if len(self._rows) >= self.capacity:
            self._overflow += 1
            self._dropped += 1
            self.metrics.log_dropped.labels(kind=kind_of(row)).inc()
            return False
        self._end_overflow()
        self._rows.append((self.clock(), row))
        self.metrics.log_queue.set(len(self._rows))
        self._empty.clear()
        self._rows_waiting.set()
        return True

    @property
    def pending(self) -> int:
        return len(self._rows)

    @property
    def usable(self) -> bool:
        """Whether a direct database call is worth trying now (for event claims)."""
        return self.ready and self._failure != "unreachable" and self.health().database != "down"

    def health(self) -> Health:
        return Health(self._status(), len(self._rows), self._dropped)

    def succeeded(self) -> None:
        """The database answered a call (the writer's, or a claim's)."""
        self._answered = True
        if self._failure is not None:
            log.info(
                "the database answers again after %.1f s; writing %d queued rows",
                self.clock() - self._failing_since,
                len(self._rows),
            )
            self._retry_now.set()  # the writer may be waiting out a backoff
        self._failure = None

    def failed(self, exc: BaseException, *, kind: str | None = None) -> None:
        """A database call failed for a reason other than its data; counted as ``kind``."""
        failure = _failure_of(exc)
        kind = kind or ("db_timeout" if failure == "slow" else "db_write")
        self.metrics.errors.labels(kind=kind).inc()
        if self._failure is None:
            self._failing_since = self.clock()
            log.warning(
                "the database %s (%s); %d rows wait in the queue and are written when it answers",
                "is slow" if failure == "slow" else "is unavailable",
                describe(exc),
                len(self._rows),
            )
        if failure != "slow" or self._failure is None:
            self._failure = failure

    # --- the task ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="qabot-log-writer")

    async def flush(self, within: float) -> bool:
        """Write what is queued now, retrying at once; False if rows remain after ``within`` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self._rows:
            remaining = deadline - loop.time()
            if remaining <= 0 or self._task is None or self._task.done():
                return False
            self._retry_now.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._empty.wait(), min(remaining, 0.1))
        return True

    async def close(self, within: float = CLOSE_TIMEOUT) -> int:
        """Write what is queued for at most ``within`` s, then stop; return the rows not written."""
        self._closing = True
        await self.flush(within)
        if self._task is not None:
            self._task.cancel()
            # A database that hangs may hold the task in its cleanup: do not wait for it.
            await asyncio.wait({self._task}, timeout=0.5)
        left = len(self._rows)
        if left:
            for _, row in self._rows:
                self.metrics.log_dropped.labels(kind=kind_of(row)).inc()
            self._dropped += left
            log.error("closing with %d rows not written: the database did not take them", left)
        self._end_overflow()
        return left

    async def _run(self) -> None:
        delay = 0.0
        while True:
            if not self._rows and self._closing:
                return
            try:
                done = await self._step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the log writer failed; retrying")
                done = False
            if done:
                delay = 0.0
                continue
            delay = min(self.retry_delays[1], max(self.retry_delays[0], delay * 2))
            self._retry_now.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._retry_now.wait(), delay)

    async def _step(self) -> bool:
        """Write one batch, wait for rows, or probe a failing database; False to back off."""
        if not self._rows:
            self._empty.set()
            if self._failure is None:
                self._rows_waiting.clear()
                await self._rows_waiting.wait()
                return True
            return await self._attempt([])  # so /healthz recovers without traffic
        entries = list(itertools.islice(self._rows, self.batch_size))
        batch = [row for _, row in entries if id(row) not in self._refused]
        if not await self._attempt(batch):
            return False
        for _ in entries:
            _, row = self._rows.popleft()
            self._refused.discard(id(row))
        self.metrics.log_queue.set(len(self._rows))
        return True

    async def _attempt(self, batch: Sequence[Row]) -> bool:
        try:
            await self._prepare()
            async with asyncio.timeout(self.write_timeout):
                if batch:
                    await self.store.write(batch, self._salt or "")
                else:
                    await self.store.ping()
        except StoreError as exc:  # a schema from a newer qabot: wait for an operator
            self._failure_once(exc)
            return False
        except Exception as exc:
            if batch and _refused(exc):
                return await self._isolate(batch)
            if not isinstance(exc, DATABASE_ERRORS):
                raise
            self.failed(exc)
            return False
        self.succeeded()
        return True

    async def _prepare(self) -> None:
        if not self.ready:
            async with asyncio.timeout(UPGRADE_TIMEOUT):
                await self.store.upgrade()
            self.ready = True
        if self._salt is None:
            async with asyncio.timeout(self.write_timeout):
                self._salt = await self.store.salt()

    async def _isolate(self, batch: Sequence[Row]) -> bool:
        """Write a refused batch row by row; drop only the rows refused for their data."""
        for row in batch:
            try:
                async with asyncio.timeout(self.write_timeout):
                    await self.store.write([row], self._salt or "")
            except Exception as exc:
                if not _refused(exc):
                    self.failed(exc)
                    return False  # the rows written alone are written again, harmlessly
                self._refused.add(id(row))
                self.metrics.errors.labels(kind="db_data").inc()
                log.error("the database refused a %s row, dropped: %s", kind_of(row), describe(exc))
        self.succeeded()
        return True

    def _failure_once(self, exc: StoreError) -> None:
        if self._failure != "schema":
            log.error("cannot write to the database: %s", exc)
            self.metrics.errors.labels(kind="db_schema").inc()
            self._failing_since = self.clock()
        self._failure = "schema"

    def _status(self) -> Literal["unknown", "ok", "down"]:
        if self._failure in ("unreachable", "schema"):
            return "down"
        if self._rows and self.clock() - self._rows[0][0] > self.stall_after:
            return "down"  # slow for so long that it is not just slow
        return "ok" if self._answered else "unknown"

    def _end_overflow(self) -> None:
        if self._overflow:
            log.warning(
                "the log queue was full (%d rows): dropped %d rows", self.capacity, self._overflow
            )
            self._overflow = 0


def kind_of(row: Row) -> str:
    if isinstance(row, QuestionRow):
        return "question"
    if isinstance(row, EventClaim | EventRelease):
        return "event"
    if isinstance(row, PickRow):
        return "pick"
    return "vote"


def _refused(exc: BaseException) -> bool:
    """The row, not the database, is at fault: a refused value, or one that is no value."""
    return is_data_error(exc) or not isinstance(exc, DATABASE_ERRORS)


def _failure_of(exc: BaseException) -> Failure:
    if isinstance(exc, TimeoutError):
        return "slow"
    if isinstance(exc, DBAPIError) and "locked" in str(exc.orig):
        return "slow"  # SQLite: another connection holds the write lock
    return "unreachable"
