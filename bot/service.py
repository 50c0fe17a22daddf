"""The facade adapters use: answer questions, log them, take feedback, and schedule tips.

Database trouble never stops or slows an answer: log rows and votes are queued and written in
the background (``bot.store.writer``), and events are claimed in memory before the database
(``bot.store.claims``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import functools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from bot.errors import StoreError
from bot.inflight import InFlight
from bot.knowledge import (
    KnowledgeBase,
    KnowledgeDiff,
    KnowledgeLoader,
    check_channel_knowledge,
    entry_id_mapping,
)
from bot.learning import AcceptedAliases, RecentQuestions, proposes
from bot.live_knowledge import LiveKnowledge
from bot.matcher_cache import MatcherCache
from bot.matching import Matcher
from bot.metrics import Metrics, process_metrics
from bot.models import Answer, AskContext, Entry, NoAnswer
from bot.semantic import open_encoders
from bot.settings import CoreSettings, TipChannel
from bot.store import (
    PickRow,
    PickVia,
    Pruned,
    QuestionRow,
    Store,
    TipLedger,
    VoteRow,
    new_log_id,
)
from bot.store.claims import EventClaims
from bot.store.errors import DATABASE_ERRORS, describe, is_data_error
from bot.store.writer import CLOSE_TIMEOUT, LogWriter
from bot.tips import TipPool, TipScheduler, TipSource

log = logging.getLogger(__name__)

_MATCHING: concurrent.futures.ThreadPoolExecutor | None = None


def _matching_thread() -> concurrent.futures.ThreadPoolExecutor:
    """One thread for matching with a blocking encoder (created on first use). Questions wait
    their turn there rather than run side by side: the model uses a core either way, and more
    threads only take the interpreter from the event loop, which must ack within 3 s."""
    global _MATCHING
    if _MATCHING is None:
        _MATCHING = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="qabot-match")
    return _MATCHING


T = TypeVar("T")
Clock = Callable[[], dt.datetime]

PRUNE_EVERY = dt.timedelta(days=1)  # long-running workers prune in the background this often
PRUNE_TIMEOUT = 60.0  # seconds; pruning (and the id remap) runs at start, then in the background


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Asked:
    """What ``QABot.ask`` returns: the result and its log id (None if the row was dropped).

    The id is chosen before the row is written, so the vote buttons can carry it at once.
    """

    result: Answer | NoAnswer
    log_id: int | None


class QABot:
    """Knowledge, matching, store and metrics behind one small API."""

    def __init__(
        self,
        *,
        live: LiveKnowledge,
        settings: CoreSettings,
        store: Store,
        metrics: Metrics,
        clock: Clock = utc_now,
    ) -> None:
        self.live = live
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.clock = clock
        self.writer = LogWriter(store, metrics, salt=settings.user_id_salt)
        self.claims = EventClaims(store, self.writer, clock)
        self.in_flight = InFlight()  # the handlers running now; SIGTERM lets them finish
        self._pruned_at: dt.datetime | None = None
        self._background: set[asyncio.Task[object]] = set()
        self._scopes: tuple[KnowledgeBase, dict[str, frozenset[int]]] | None = None
        self.recent = RecentQuestions()  # wordings by log id, for picks that follow them

    @property
    def knowledge(self) -> KnowledgeBase:
        """The knowledge answered from now (it changes on reload: read it once per use)."""
        return self.live.current.knowledge

    @property
    def matcher(self) -> Matcher:
        """The matcher of the knowledge now (read ``live.current`` to get both at once)."""
        return self.live.current.matcher

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

        Answers start with the word vectors; the sentence model takes over in the background
        once it has encoded the entries (cached on disk, and in the database when
        DATABASE_URL is set). An unreachable database is logged and retried in the background
        (rows wait in the queue); a database created by a newer qabot raises StoreError.
        """
        metrics = metrics or process_metrics()
        store = store or Store.connect(settings.database_url, settings.data_dir)
        unavailable: BaseException | None = None
        try:  # first, so vectors cached in the database are there for the sentence model
            await store.upgrade()
        except DATABASE_ERRORS as exc:
            unavailable = exc
        first, target = open_encoders(settings.embedding_model, settings.embedding_cache_dir)
        loader = KnowledgeLoader(
            settings.knowledge_sources, data_dir=settings.data_dir, base_url=settings.base_url
        )
        live = LiveKnowledge(
            loader,
            threshold=settings.threshold,
            first=first,
            target=target,
            metrics=metrics,
            vector_store=store if settings.database_url and unavailable is None else None,
            matcher_cache=MatcherCache(settings.data_dir / "matcher"),
        )
        live.transform = AcceptedAliases(store).apply  # at every load: start, reload
        await live.start()
        check_channel_knowledge(live.current.knowledge, settings.channel_knowledge)
        bot = cls(
            live=live, settings=settings, store=store, metrics=metrics, clock=clock or utc_now
        )
        if unavailable is not None:
            bot.writer.failed(unavailable, kind="db_connect")
        else:
            bot.writer.ready = True
            bot.writer.succeeded()
            await bot.remap_entry_ids()
            await bot.prune()
        bot.metrics.watch(bot.writer.health)
        bot.writer.start()
        if settings.ephemeral_disk and settings.database_url is None:
            log.warning(
                "DATABASE_URL is not set on a host that wipes its disk at every restart: the "
                "question log, votes and tip history in the SQLite file will be lost, and a tip "
                "may be posted twice. Attach PostgreSQL and set DATABASE_URL."
            )
        return bot

    async def reload(self, reason: str = "asked", *, fetch: bool = True) -> KnowledgeDiff | None:
        """Load the knowledge again and swap in what changed (None when nothing did).

        Git sources are fetched first (``fetch``): ``qabot reload`` and SIGHUP mean "now", not
        at the next KNOWLEDGE_REFRESH.
        """
        return await self.live.reload(reason, fetch=fetch)

    def scope(self, channel: str | None) -> frozenset[int] | None:
        """The entries a channel's questions are matched against first (CHANNEL_KNOWLEDGE)."""
        names = self.settings.channel_knowledge.get(channel or "")
        if not names:
            return None
        knowledge = self.knowledge
        if self._scopes is None or self._scopes[0] is not knowledge:
            self._scopes = (knowledge, {})
        scopes = self._scopes[1]
        if channel not in scopes:
            scopes[channel or ""] = knowledge.scope(names)
        return scopes[channel or ""]

    async def ask(self, text: str, ctx: AskContext) -> Asked:
        """Match a question and log it; the answer comes back even if logging fails."""
        started = time.perf_counter()
        matcher = self.live.current.matcher
        scope = self.scope(ctx.channel)
        result = await self._off_loop(matcher.ask, text, scope)
        return await self._finish(result, ctx, started)

    async def pick(
        self,
        entry_id: str,
        ctx: AskContext,
        *,
        via: PickVia,
        log_id: int | None = None,
        question: str | None = None,
    ) -> Asked | None:
        """The answer for an entry the member chose; None if the id is unknown.

        Recorded as a pick (not as a question: the answer rate counts only questions), with
        the wording the member had asked in ``log_id``'s question: ``question`` when the
        button carried it, else remembered here, else read from the log when written. A
        suggestion picked after a miss, or another entry picked as a correction, proposes
        that wording as an alias of the entry. The returned log id is the pick's, so votes
        on the picked answer never count against the question's answer.
        """
        matcher = self.live.current.matcher
        wording = question or self.recent.get(log_id)
        result = await self._off_loop(matcher.answer_entry, entry_id, wording)
        if result is None:
            return None
        row = PickRow(
            pick_id=new_log_id(),
            picked_at=self.clock(),
            platform=ctx.platform,
            channel=ctx.channel,
            user=ctx.user,
            log_id=log_id,
            question=wording,
            entry_id=entry_id,
            via=via,
            proposes=proposes(via),
        )
        log.info("%s pick on %s: entry=%s", via, ctx.platform, entry_id)
        if not self.writer.put(row):
            return Asked(result, None)
        if wording:
            self.recent.remember(row.pick_id, wording)
        return Asked(result, row.pick_id)

    @staticmethod
    async def _off_loop(match: Callable[..., T], *args: object) -> T:
        """Match in the matching thread: a question takes 1-10 ms at 10,000 entries (more with
        the sentence model), time the event loop keeps for acknowledging events."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_matching_thread(), functools.partial(match, *args))

    def complete(self, prefix: str, limit: int = 25, channel: str | None = None) -> list[Entry]:
        """Entry questions for autocomplete; a channel's own course first (CHANNEL_KNOWLEDGE)."""
        return self.matcher.complete(prefix, limit, self.scope(channel))

    def tips_for(self, channel: str) -> TipSource:
        """What a channel's weekly tips are drawn from: its course, or all the knowledge."""
        knowledge = self.knowledge
        scope = self.scope(channel)
        if scope is None:
            return knowledge
        return TipPool.within(knowledge, {knowledge.entries[i].id for i in scope})

    def random_tip(self) -> Entry:
        knowledge = self.knowledge
        return random.choice(knowledge.tip_entries or knowledge.entries)

    async def vote(self, log_id: int, ctx: AskContext, vote: Literal["up", "down"]) -> bool:
        """Queue a 👍/👎 (one per user per answer, changeable); False if it cannot be kept.

        The vote is written in the background, even before its answer's row.
        """
        if ctx.user is None:
            return False
        row = VoteRow(log_id, ctx.platform, ctx.user, vote, self.clock())
        if not self.writer.put(row):
            return False
        self.metrics.feedback.labels(vote=vote).inc()
        return True

    async def claim_event(self, platform: str, event_id: str) -> bool:
        """Claim an inbound event; False when this or another process already handled it.

        Within one process an event is handled once whatever the database does; across
        processes, once while the database answers within a moment.
        """
        return await self.claims.claim(platform, event_id)

    async def release_event(self, platform: str, event_id: str) -> None:
        """Give a claim back (the answer could not be posted), so a redelivery is answered."""
        self.claims.release(platform, event_id)

    async def flush(self, within: float = CLOSE_TIMEOUT) -> bool:
        """Write the queued rows now; False if some remain after ``within`` seconds."""
        deadline = time.monotonic() + within
        settled = await self.claims.settle(within)
        return await self.writer.flush(deadline - time.monotonic()) and settled

    def tip_scheduler(self, platform: str, channels: Sequence[TipChannel]) -> TipScheduler:
        return TipScheduler(
            source=self.tips_for,
            ledger=TipLedger(self.store.engine),
            platform=platform,
            channels=channels,
            clock=self.clock,
            metrics=self.metrics,
        )

    async def remap_entry_ids(self) -> int | None:
        """Point ids logged before sources had names at today's entries (entry_id_mapping);
        the rows changed, or None if the database is unavailable."""
        stored = await self._guarded("db_remap", self.store.stored_entry_ids(), PRUNE_TIMEOUT)
        if stored is None:
            return None
        ids = [e.id for e in self.knowledge.entries]
        # Only the ids stored are mapped: every suffix of every entry id was 30,000 rows to
        # write at each start with 10,000 entries.
        mapping = await asyncio.to_thread(entry_id_mapping, ids, stored)
        if not mapping:
            return 0
        return await self._guarded("db_remap", self.store.remap_entry_ids(mapping), PRUNE_TIMEOUT)

    async def prune(self) -> Pruned | None:
        """Delete log rows older than LOG_RETENTION_DAYS; None if the database is unavailable."""
        self._pruned_at = self.clock()
        cutoff = self._pruned_at - dt.timedelta(days=self.settings.log_retention_days)
        pruned = await self._guarded("db_prune", self.store.prune(cutoff), PRUNE_TIMEOUT)
        if pruned is not None and pruned.questions:
            log.info("pruned %d logged questions older than %s", pruned.questions, cutoff)
        return pruned

    async def close(self, within: float = CLOSE_TIMEOUT) -> None:
        """Write what is queued (for at most ``within`` seconds), then close the database.

        Returns within ``within`` + 2.5 s even when the database hangs; what it did not take
        is logged and counted in ``qabot_log_dropped_total``.
        """
        await self.live.close()
        if self._background:  # a prune: short, and time-limited
            await asyncio.wait(self._background, timeout=0.5)
        await self.claims.settle(0.5)
        await self.writer.close(within)  # within + 0.5 s
        closing = asyncio.ensure_future(self.store.close())
        await asyncio.wait({closing}, timeout=1.0)

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

        row = QuestionRow(
            log_id=new_log_id(),
            asked_at=self.clock(),
            platform=ctx.platform,
            workspace=ctx.workspace,
            channel=ctx.channel,
            user=ctx.user,
            question=result.question,
            outcome=outcome,
            entry_id=entry_id,
            score=result.score,
            latency_ms=round(latency * 1000, 3),
        )
        if not self.writer.put(row):
            return Asked(result, None)
        self.recent.remember(row.log_id, result.question)
        self._prune_when_due()
        return Asked(result, row.log_id)

    def _prune_when_due(self) -> None:
        if self._pruned_at is not None and self.clock() - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = self.clock()
        task: asyncio.Task[object] = asyncio.create_task(self.prune())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _guarded(self, kind: str, call: Awaitable[T], within: float) -> T | None:
        """Run a database call for at most ``within`` s; None (logged, counted) if it failed."""
        try:
            async with asyncio.timeout(within):
                return await call
        except (*DATABASE_ERRORS, StoreError) as exc:
            self.metrics.errors.labels(kind="db_data" if is_data_error(exc) else kind).inc()
            log.warning("database %s failed: %s", kind.removeprefix("db_"), describe(exc))
            return None
