"""The facade adapters use: answer questions, log them, take feedback, and schedule tips.

Database trouble never stops an answer: writes that fail are logged and counted, and the
store is left alone for a short while before the next attempt.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from bot.errors import StoreError
from bot.knowledge import KnowledgeBase, entry_id_mapping, load_knowledge
from bot.matching import Matcher
from bot.metrics import Metrics, process_metrics
from bot.models import Answer, AskContext, Entry, NoAnswer
from bot.semantic import open_encoder
from bot.settings import CoreSettings, TipChannel
from bot.store import LogRecord, Pruned, Store, TipLedger
from bot.tips import TipScheduler

log = logging.getLogger(__name__)

T = TypeVar("T")
Clock = Callable[[], dt.datetime]

WRITE_TIMEOUT = 3.0  # seconds a log or feedback write may add to a handler
RETRY_AFTER = dt.timedelta(seconds=30)  # pause after the database failed, before trying again
PRUNE_EVERY = dt.timedelta(days=1)  # long-running workers prune in the background this often
UNAVAILABLE = (OSError, TimeoutError, SQLAlchemyError)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Asked:
    """What ``QABot.ask`` returns: the result and its log row (None if the write failed)."""

    result: Answer | NoAnswer
    log_id: int | None


class QABot:
    """Knowledge, matching, store and metrics behind one small API."""

    def __init__(
        self,
        *,
        knowledge: KnowledgeBase,
        matcher: Matcher,
        settings: CoreSettings,
        store: Store,
        metrics: Metrics,
        clock: Clock = utc_now,
    ) -> None:
        self.knowledge = knowledge
        self.matcher = matcher
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.clock = clock
        self._ready = False
        self._salt = settings.user_id_salt
        self._paused_until: dt.datetime | None = None
        self._pruned_at: dt.datetime | None = None
        self._background: set[asyncio.Task[object]] = set()

    @classmethod
    async def start(
        cls,
        settings: CoreSettings,
        *,
        clock: Clock | None = None,
        store: Store | None = None,
        metrics: Metrics | None = None,
    ) -> QABot:
        """Load the knowledge, open the store (creating or upgrading the schema) and metrics.

        An unreachable database is logged and retried later; a database created by a newer
        qabot raises StoreError.
        """
        knowledge = load_knowledge(
            settings.knowledge_sources, base_url=settings.base_url, data_dir=settings.data_dir
        )
        encoder = open_encoder(settings.embedding_model, settings.embedding_cache_dir)
        # Off the event loop: encoding a large knowledge base the first time takes minutes.
        matcher = await asyncio.to_thread(Matcher, knowledge, settings.threshold, encoder)
        bot = cls(
            knowledge=knowledge,
            matcher=matcher,
            settings=settings,
            store=store or Store.connect(settings.database_url, settings.data_dir),
            metrics=metrics or process_metrics(),
            clock=clock or utc_now,
        )
        try:
            await bot.store.upgrade()
            bot._ready = True
        except UNAVAILABLE as exc:
            bot._pause(exc, "db_connect")
        if bot._ready:
            await bot._remap_entry_ids()
            await bot.prune()
        if settings.ephemeral_disk and settings.database_url is None:
            log.warning(
                "DATABASE_URL is not set on a host that wipes its disk at every restart: the "
                "question log, votes and tip history in the SQLite file will be lost, and a tip "
                "may be posted twice. Attach PostgreSQL and set DATABASE_URL."
            )
        log.debug(  # a worker's one startup line says this and more (bot.startup)
            "loaded %d knowledge entries; matching: %s",
            len(knowledge.entries),
            f"lexical + meaning ({encoder.name})" if encoder else "lexical only",
        )
        return bot

    async def ask(self, text: str, ctx: AskContext) -> Asked:
        """Match a question and log it; the answer comes back even if logging fails."""
        started = time.perf_counter()
        result = await self._off_loop(self.matcher.ask, text)
        return await self._finish(result, ctx, started)

    async def answer_entry(
        self, entry_id: str, ctx: AskContext, question: str | None = None
    ) -> Asked | None:
        """The answer for an entry the member chose; None if the id is unknown."""
        started = time.perf_counter()
        result = await self._off_loop(self.matcher.answer_entry, entry_id, question)
        if result is None:
            return None
        return await self._finish(result, ctx, started)

    async def _off_loop(self, match: Callable[..., T], *args: object) -> T:
        """Matching takes about a millisecond; with an encoder that blocks, a thread."""
        encoder = self.matcher.encoder
        if encoder is None or not encoder.blocking:
            return match(*args)
        return await asyncio.to_thread(match, *args)

    def complete(self, prefix: str, limit: int = 25) -> list[Entry]:
        return self.matcher.complete(prefix, limit)

    def random_tip(self) -> Entry:
        return random.choice(self.knowledge.entries)

    async def vote(self, log_id: int, ctx: AskContext, vote: Literal["up", "down"]) -> bool:
        """Record a 👍/👎 (one per user per answer, changeable); False if nothing was stored."""
        if ctx.user is None:
            return False

        async def write() -> bool:
            user_hash = await self._hash_user(ctx)
            return await self.store.vote(log_id, user_hash or "", vote, self.clock())

        stored = await self._guarded("db_feedback", write)
        if stored:
            self.metrics.feedback.labels(vote=vote).inc()
        return bool(stored)

    async def claim_event(self, platform: str, event_id: str) -> bool:
        """Claim an inbound event once; if the database is down, handle it (answers matter more)."""
        claimed = await self._guarded(
            "db_event", lambda: self.store.claim_event(platform, event_id, self.clock())
        )
        return True if claimed is None else claimed

    def tip_scheduler(self, platform: str, channels: Sequence[TipChannel]) -> TipScheduler:
        return TipScheduler(
            source=self.knowledge,
            ledger=TipLedger(self.store.engine),
            platform=platform,
            channels=channels,
            clock=self.clock,
            metrics=self.metrics,
        )

    async def prune(self) -> Pruned | None:
        """Delete log rows older than LOG_RETENTION_DAYS; None if the database is unavailable."""
        self._pruned_at = self.clock()
        cutoff = self._pruned_at - dt.timedelta(days=self.settings.log_retention_days)
        pruned = await self._guarded("db_prune", lambda: self.store.prune(cutoff))
        if pruned is not None and pruned.questions:
            log.info("pruned %d logged questions older than %s", pruned.questions, cutoff)
        return pruned

    async def _remap_entry_ids(self) -> None:
        """Point ids logged before sources had names at today's entries (see entry_id_mapping)."""
        remap = getattr(self.store, "remap_entry_ids", None)  # Store gains it on the store branch
        if remap is None:
            return
        ids = [e.id for e in self.knowledge.entries]
        mapping = await asyncio.to_thread(entry_id_mapping, ids)  # 1 s at 100,000 entries
        if mapping:
            await self._guarded("db_remap", lambda: remap(mapping))

    async def close(self) -> None:
        # A background prune is short (and time-limited); let it finish.
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.store.close()

    async def _finish(self, result: Answer | NoAnswer, ctx: AskContext, started: float) -> Asked:
        latency = time.perf_counter() - started
        outcome: Literal["answered", "abstained"] = (
            "answered" if isinstance(result, Answer) else "abstained"
        )
        self.metrics.questions.labels(platform=ctx.platform, outcome=outcome).inc()
        self.metrics.latency.labels(platform=ctx.platform).observe(latency)
        entry_id = result.entry.id if isinstance(result, Answer) else None
        log.info(
            "%s question on %s: entry=%s score=%.2f", outcome, ctx.platform, entry_id, result.score
        )

        async def write() -> int:
            record = LogRecord(
                asked_at=self.clock(),
                platform=ctx.platform,
                workspace=ctx.workspace,
                channel=ctx.channel,
                user_hash=await self._hash_user(ctx),
                question=result.question,
                outcome=outcome,
                entry_id=entry_id,
                score=result.score,
                latency_ms=round(latency * 1000, 3),
            )
            return await self.store.log_question(record)

        log_id = await self._guarded("db_log", write)
        if log_id is not None:
            self._prune_when_due()
        return Asked(result, log_id)

    def _prune_when_due(self) -> None:
        if self._pruned_at is not None and self.clock() - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = self.clock()
        task: asyncio.Task[object] = asyncio.create_task(self.prune())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _hash_user(self, ctx: AskContext) -> str | None:
        if ctx.user is None:
            return None
        if self._salt is None:
            self._salt = await self.store.salt()
        message = f"{ctx.platform}:{ctx.user}".encode()
        return hmac.new(self._salt.encode(), message, hashlib.sha256).hexdigest()

    async def _guarded(self, kind: str, write: Callable[[], Awaitable[T]]) -> T | None:
        """Run a database call, or skip it while the database is known to be down."""
        if self._paused_until is not None and self.clock() < self._paused_until:
            self.metrics.errors.labels(kind=kind).inc()
            return None
        try:
            async with asyncio.timeout(WRITE_TIMEOUT):
                if not self._ready:
                    await self.store.upgrade()
                    self._ready = True
                result = await write()
        except (*UNAVAILABLE, StoreError) as exc:
            self._pause(exc, kind)
            return None
        self._paused_until = None
        return result

    def _pause(self, exc: BaseException, kind: str) -> None:
        self.metrics.errors.labels(kind=kind).inc()
        self._paused_until = self.clock() + RETRY_AFTER
        log.warning(
            "database unavailable (%s: %s); answering without logging for %d s",
            type(exc).__name__,
            exc,
            RETRY_AFTER.total_seconds(),
        )
