"""Claim inbound events once: in this process's memory first, then in the database.

The memory alone guarantees that one process never answers an event twice. The database
claim lets several processes agree, when the database answers in time; otherwise the claim
is queued on the log writer, so that other processes see it once the database is back.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from bot.store.errors import DATABASE_ERRORS, describe, is_data_error
from bot.store.recent import RecentEvents
from bot.store.rows import EventClaim, EventRelease
from bot.store.store import Store
from bot.store.writer import LogWriter

log = logging.getLogger(__name__)

CLAIM_WAIT = 0.5  # seconds an answer waits for the database claim before going ahead
IN_FLIGHT = 4  # database claims at once; beyond that (a hanging database) memory decides


class EventClaims:
    """``claim`` and ``release`` of ``(platform, event id)``; never raises for the database."""

    def __init__(
        self,
        store: Store,
        writer: LogWriter,
        clock: Callable[[], dt.datetime],
        *,
        recent: RecentEvents | None = None,
        wait: float = CLAIM_WAIT,
        in_flight: int = IN_FLIGHT,
    ) -> None:
        self.store = store
        self.writer = writer
        self.clock = clock
        self.recent = recent or RecentEvents()
        self.wait = wait
        self.in_flight = in_flight
        self._tasks: set[asyncio.Task[bool | None]] = set()

    async def claim(self, platform: str, event_id: str) -> bool:
        """True when this delivery should be handled; False for a repeat."""
        seen = self.recent.claim(platform, event_id)
        if seen == "seen":
            return False
        now = self.clock()
        if seen == "released" or not self.writer.usable or len(self._tasks) >= self.in_flight:
            # A released event may still hold its old row until the release is written.
            self.writer.put(EventClaim(platform, event_id, now))
            return True
        task = asyncio.create_task(self._claim_in_database(platform, event_id, now))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        done, _ = await asyncio.wait({task}, timeout=self.wait)
        if done and task.result() is False:
            # Another process has it, and may release it: ask the database next time.
            self.recent.forget(platform, event_id)
            return False
        return True  # claimed, or not known in time: the claim lands when the database answers

    def release(self, platform: str, event_id: str) -> None:
        """Let a redelivery of the event be handled here or by another process."""
        self.recent.release(platform, event_id)
        self.writer.put(EventRelease(platform, event_id))

    async def settle(self, within: float) -> bool:
        """Wait at most ``within`` seconds for database claims still running; True if none."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=within)
        return not self._tasks

    async def _claim_in_database(
        self, platform: str, event_id: str, now: dt.datetime
    ) -> bool | None:
        """True/False from the database; None (and the claim queued) when it failed."""
        try:
            claimed = await self.store.claim_event(platform, event_id, now)
        except Exception as exc:
            if isinstance(exc, DATABASE_ERRORS) and not is_data_error(exc):
                self.writer.failed(exc, kind="db_event")
                self.writer.put(EventClaim(platform, event_id, now))
                return None
            self.writer.metrics.errors.labels(kind="db_data").inc()
            log.error("the database refused event claim %r: %s", event_id, describe(exc))
            return None
        self.writer.succeeded()
        return claimed
