"""The loop and the retries of a weekly post, shared by weekly jobs (the host digest now; the
tips' ``TipScheduler`` has the same shape and can move onto these).

Which week is due and who posts it is decided by the job's ledger; these only repeat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.metrics import Metrics

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


async def check_forever(
    run_due: Callable[[], Awaitable[object]],
    *,
    what: str,
    metrics: Metrics,
    interval: float,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """Run ``run_due`` every ``interval`` seconds; an error is logged, counted as
    ``<what>_run`` and retried on the next check."""
    while True:
        try:
            await run_due()
        except Exception:
            metrics.errors.labels(kind=f"{what}_run").inc()
            log.exception("%s check failed; retrying in %.0f s", what, interval)
        await sleep(interval)


async def with_retries(
    post: Callable[[], Awaitable[T]],
    *,
    what: str,
    attempts: int,
    backoff: float,
    sleep: Sleep = asyncio.sleep,
) -> T:
    """``post()``, retried with exponential backoff; the last failure is raised."""
    for attempt in range(1, attempts + 1):
        try:
            return await post()
        except Exception as exc:
            if attempt == attempts:
                raise
            delay = backoff * 2 ** (attempt - 1)
            log.warning("%s failed (%s); retry %d in %.0f s", what, exc, attempt, delay)
            await sleep(delay)
    raise ValueError("attempts must be at least 1")
