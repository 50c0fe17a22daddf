"""One worker runtime for every platform: ``async with worker(core, connection)``.

It starts, in order: the service (knowledge, matcher, store), the metrics server
(METRICS_PORT), the platform's connection and the weekly tip task, then logs one startup line.
SIGTERM and SIGINT (Heroku restarts, Ctrl-C) end ``Worker.wait``; leaving the block stops
everything in the reverse order: no new events are taken, the answers in flight get up to
``DRAIN_SECONDS`` to go out, the connection closes, and the log queue is written (up to 5 s).
All of it fits in the 30 s Heroku allows between SIGTERM and SIGKILL.
An adapter only provides the ``Connection``: how to connect, post a tip and disconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.metrics import serve_metrics
from bot.models import Tip
from bot.runfiles import worker_pid_file
from bot.service import QABot
from bot.settings import CoreSettings, TipChannel
from bot.startup import startup_line

if TYPE_CHECKING:
    from bot.digest import Digest

log = logging.getLogger(__name__)

# Heroku kills a process 30 s after SIGTERM: 15 s for the answers in flight (one reply takes
# at most 12 s, retries included), then up to 7.5 s to write the log queue and close.
DRAIN_SECONDS = 15.0
SETTLE_SECONDS = 0.2  # lets a handler whose request was just acknowledged start and be counted


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


@runtime_checkable
class Draining(Protocol):
    """A connection that can stop taking events before it closes (optional)."""

    async def stop_taking(self) -> None:
        """Take no new events; handlers already running go on (SIGTERM)."""
        ...


@runtime_checkable
class PostsDigests(Protocol):
    """A connection that can post the weekly host digest (``bot.digest``)."""

    @property
    def digest_channels(self) -> Sequence[TipChannel]: ...

    async def post_digest(self, channel: str, digest: Digest) -> str | None: ...


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
        stack.push_async_callback(drain, bot, connection)
        await stack.enter_async_context(_tip_task(bot, connection))
        await stack.enter_async_context(_digest_task(bot, connection))
        await stack.enter_async_context(_living_knowledge(bot, core, connection.name))
        started = startup_line(bot, connection.name, connection.tip_channels)
        log.info("%s%s", started, _digest_channels(connection))
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


async def drain(bot: QABot, connection: Connection, within: float = DRAIN_SECONDS) -> int:
    """Stop taking new events, then wait at most ``within`` s for the answers in flight.

    Returns how many were still running (they end when the connection closes).
    """
    bot.in_flight.accepting = False
    if isinstance(connection, Draining):
        await connection.stop_taking()
    await asyncio.sleep(SETTLE_SECONDS)
    running = bot.in_flight.running
    if running:
        log.info("finishing %d answer(s) in flight (up to %.0f s)", running, within)
    left = await bot.in_flight.drain(within)
    if left:
        log.warning("%d answer(s) still in flight after %.0f s; closing anyway", left, within)
    return left


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


@contextlib.asynccontextmanager
async def _digest_task(bot: QABot, connection: Connection) -> AsyncIterator[None]:
    """The weekly host digest in the background (nothing when no host channel is set)."""
    if not isinstance(connection, PostsDigests) or not connection.digest_channels:
        yield
        return
    from bot.digest_schedule import digest_scheduler

    scheduler = digest_scheduler(bot, connection.name, connection.digest_channels)
    task = asyncio.create_task(
        scheduler.run_forever(connection.post_digest), name=f"{connection.name}-digest"
    )
    task.add_done_callback(_report_digest_crash)
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


def _digest_channels(connection: Connection) -> str:
    """``; host digest: C1 (mon 08:00 UTC)`` for the startup line, when there is one."""
    if not isinstance(connection, PostsDigests) or not connection.digest_channels:
        return ""
    return "; host digest: " + ", ".join(
        f"{c.channel} ({c.slot})" for c in connection.digest_channels
    )


def _report_digest_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the host digest stopped; answers are unaffected", exc_info=task.exception())
