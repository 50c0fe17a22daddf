"""One worker runtime for every platform: ``async with worker(core, connection)``.

It starts, in order: the service (knowledge, matcher, store), the metrics server
(METRICS_PORT), the platform's connection and the weekly tip task, then logs one startup line.
SIGTERM and SIGINT (Heroku restarts, Ctrl-C) end ``Worker.wait``; leaving the block stops
everything in the reverse order, draining answers in flight before the connection closes.
An adapter only provides the ``Connection``: how to connect, post a tip and disconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Protocol

from bot.metrics import serve_metrics
from bot.models import Tip
from bot.runfiles import worker_pid_file
from bot.service import QABot
from bot.settings import CoreSettings, TipChannel
from bot.startup import startup_line

log = logging.getLogger(__name__)

DRAIN_SECONDS = 20.0  # Heroku kills a process 30 s after SIGTERM; leave time to close


class Connection(Protocol):
    """A platform's live connection, as the worker runs it (one per process)."""

    @property
    def name(self) -> str:
        """The platform's name, as registered in ``qabot.platforms``."""
        ...

    @property
    def tip_channels(self) -> Sequence[TipChannel]: ...

    async def open(self, bot: QABot) -> None:
        """Connect and start handling events with ``bot``; BotError when the platform refuses."""
        ...

    async def closed(self) -> None:
        """Return (or raise) when the platform ends the connection for good; else wait."""
        ...

    async def post_tip(self, tip: Tip) -> str | None:
        """Post a weekly tip over this connection; return the message reference."""
        ...

    async def close(self) -> None:
        """Disconnect; called once, after ``open`` succeeded."""
        ...


class Worker:
    """A running worker: its service, its connection, and what stops it."""

    def __init__(self, bot: QABot, connection: Connection, stop: asyncio.Event) -> None:
        self.bot = bot
        self.connection = connection
        self.stop = stop

    async def wait(self) -> None:
        """Until SIGTERM, SIGINT or ``stop``, or until the platform closes the connection."""
        stopping = asyncio.ensure_future(self.stop.wait())
        closed = asyncio.ensure_future(self.connection.closed())
        done, pending = await asyncio.wait({stopping, closed}, return_when="FIRST_COMPLETED")
        for task in pending:
            task.cancel()
        for task in done:
            task.result()  # an error that ended the connection ends the worker


@contextlib.asynccontextmanager
async def worker(
    core: CoreSettings, connection: Connection, *, stop: asyncio.Event | None = None
) -> AsyncIterator[Worker]:
    """Start the service, metrics, connection and tips; stop them in reverse order on exit."""
    stop = stop or asyncio.Event()
    _hold_hangups()
    async with contextlib.AsyncExitStack() as stack:
        stack.enter_context(_stop_on_signals(stop))
        bot = await QABot.start(core)
        stack.push_async_callback(bot.close)
        if core.metrics_port:
            metrics = await serve_metrics(core.metrics_port)
            stack.push_async_callback(metrics.cleanup)
        await connection.open(bot)
        stack.push_async_callback(connection.close)
        stack.push_async_callback(drain, connection)
        await stack.enter_async_context(_tip_task(bot, connection))
        await stack.enter_async_context(_living_knowledge(bot, core, connection.name))
        log.info("%s", startup_line(bot, connection.name, connection.tip_channels))
        yield Worker(bot, connection, stop)
        log.info("stopping the %s worker", connection.name)


async def serve(
    core: CoreSettings, connection: Connection, *, stop: asyncio.Event | None = None
) -> None:
    """Run a worker until it is stopped."""
    async with worker(core, connection, stop=stop) as running:
        await running.wait()


def run(core: CoreSettings, connection: Connection) -> int:
    """``qabot <platform>``: run the worker at LOG_LEVEL until SIGTERM or SIGINT."""
    logging.getLogger().setLevel(core.log_level)
    asyncio.run(serve(core, connection))
    return 0


async def drain(connection: Connection, within: float = DRAIN_SECONDS) -> None:
    """Hook for the reliability work: let the answers already being written finish.

    To fill in: stop taking new events, then wait for the handlers in flight, at most
    ``within`` seconds, and return so the connection closes. Today the tip task has already
    stopped when this runs, and handlers still in flight end with the connection.
    """
    log.debug("draining %s (up to %.0f s)", connection.name, within)


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    handled = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        # Not in the main thread (or not on Unix): the caller stops the worker with ``stop``.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop.set)
            handled.append(signum)
    try:
        yield
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)


@contextlib.asynccontextmanager
async def _tip_task(bot: QABot, connection: Connection) -> AsyncIterator[None]:
    """The weekly tip scheduler in the background (nothing when no channel is configured)."""
    if not connection.tip_channels:
        yield
        return
    scheduler = bot.tip_scheduler(connection.name, connection.tip_channels)
    task = asyncio.create_task(
        # ``find_tip`` (optional, like ``TipPoster.find``) keeps a tip once across crashes.
        scheduler.run_forever(connection.post_tip, getattr(connection, "find_tip", None)),
        name=f"{connection.name}-tips",
    )
    task.add_done_callback(_report_crash)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _hold_hangups() -> None:
    """SIGHUP asks a running worker to reload; until it runs (loading the knowledge, connecting)
    a hangup is ignored, not fatal as by default (``systemctl reload`` during a start)."""
    with contextlib.suppress(ValueError, AttributeError):  # not the main thread; not Unix
        signal.signal(signal.SIGHUP, signal.SIG_IGN)


@contextlib.asynccontextmanager
async def _living_knowledge(bot: QABot, core: CoreSettings, platform: str) -> AsyncIterator[None]:
    """Reload the knowledge when files change, git sources move, SIGHUP or ``qabot reload``
    arrive (it finds this worker by its pid file under DATA_DIR)."""
    loop = asyncio.get_running_loop()
    reloads: set[asyncio.Task[object]] = set()

    def on_hangup() -> None:
        task: asyncio.Task[object] = asyncio.create_task(bot.reload("SIGHUP"))
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    watching = asyncio.create_task(bot.live.watch(core.knowledge_refresh), name="knowledge")
    with contextlib.ExitStack() as stack:
        stack.enter_context(worker_pid_file(core.data_dir, platform))
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGHUP, on_hangup)
            stack.callback(loop.remove_signal_handler, signal.SIGHUP)
        try:
            yield
        finally:
            watching.cancel()
            for task in (watching, *reloads):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the weekly tips stopped; answers are unaffected", exc_info=task.exception())
