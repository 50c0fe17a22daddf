"""The answers a worker is working on, so that SIGTERM can let them finish.

Adapters run each handler under ``InFlight.handling``; on shutdown the runtime calls
``drain``: new events are turned away, and the ones already taken get a bounded time to end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from bot.replies import answer_or_apologise

log = logging.getLogger(__name__)


class InFlight:
    """A count of running handlers, and whether new events are still taken."""

    def __init__(self) -> None:
        self.running = 0
        self.accepting = True
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        self.running += 1
        self._idle.clear()
        try:
            yield
        finally:
            self.running -= 1
            if not self.running:
                self._idle.set()

    @contextlib.asynccontextmanager
    async def handling(
        self, what: str, apologise: Callable[[], Awaitable[object]]
    ) -> AsyncIterator[None]:
        """A handler, counted while it runs, under the core's answer-or-apologise."""
        async with self.track(), answer_or_apologise(what, apologise):
            yield

    async def idle(self) -> None:
        """Until no handler runs."""
        await self._idle.wait()

    async def drain(self, within: float) -> int:
        """Take no new events; wait up to ``within`` s for the running ones. Those left."""
        self.accepting = False
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self.idle()
        return self.running
