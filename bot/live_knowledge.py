"""The knowledge the bot answers from now, and the matcher built for it, swapped as one.

``QABot`` holds one ``Matching``; every question reads it once, so none sees the knowledge of
one moment with the matcher of another. At start the matcher uses the word vectors, ready in
about a second; the sentence model then encodes the entries in the background (minutes for
10,000 entries on one core, seconds from the cache) and takes over. A reload builds the new
knowledge and its matcher off the event loop, then swaps them in one step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.knowledge import KnowledgeBase, KnowledgeDiff, KnowledgeLoader, diff_knowledge
from bot.matcher_cache import MatcherCache, build_elsewhere
from bot.matching import Matcher, texts_to_encode
from bot.meaning import MeaningEncoder
from bot.metrics import Metrics
from bot.semantic import CachedEncoder

log = logging.getLogger(__name__)

LEXICAL = "lexical"  # the mode's name when no encoder is on
STORED_DTYPE = np.float16  # vectors in the database: half the bytes, the same answers
STORE_ON_CLOSE = 5.0  # seconds a stopping worker waits for fresh vectors to reach the database


@dataclass(frozen=True, slots=True)
class Matching:
    """Knowledge and the matcher built for it."""

    knowledge: KnowledgeBase
    matcher: Matcher

    @property
    def mode(self) -> str:
        """The matching on: ``lexical``, ``word-vectors`` or the sentence model's name."""
        encoder = self.matcher.encoder
        return encoder.name if encoder is not None else LEXICAL


class VectorStore(Protocol):
    """Where entry vectors outlive a wiped disk: the database (``Store.embeddings_*``)."""

    def embeddings_get(
        self, model_key: str, keys: Sequence[str]
    ) -> Awaitable[dict[str, bytes]]: ...

    def embeddings_put(self, model_key: str, items: Mapping[str, bytes]) -> Awaitable[None]: ...


Transform = Callable[[KnowledgeBase], Awaitable[KnowledgeBase]]


class LiveKnowledge:
    """Loads, sharpens and reloads; ``current`` is what questions are matched against."""

    def __init__(
        self,
        loader: KnowledgeLoader,
        *,
        threshold: float,
        first: MeaningEncoder | None,
        target: CachedEncoder | None,
        metrics: Metrics,
        vector_store: VectorStore | None = None,
        matcher_cache: MatcherCache | None = None,
    ) -> None:
        self.loader = loader
        self.threshold = threshold
        self.first = first  # ready at once
        self.target = target  # taken over in the background; None when ``first`` is final
        self.metrics = metrics
        self.vector_store = vector_store
        self.matcher_cache = matcher_cache  # built matchers, for a fast start
        self.transform: Transform | None = None  # e.g. accepted aliases joined to entries
        self._current: Matching | None = None
        self._building = asyncio.Lock()
        self._sharpening: asyncio.Task[None] | None = None
        self._storing: asyncio.Future[None] | None = None
        self._saving: set[asyncio.Future[Path | None]] = set()

    @property
    def current(self) -> Matching:
        if self._current is None:
            raise RuntimeError("the knowledge is not loaded yet: await start() first")
        return self._current

    @property
    def sharpened(self) -> bool:
        """Whether the final matching is on (no encoder is still to take over)."""
        return self.target is None or (
            self._current is not None and self._current.matcher.encoder is self.target
        )

    async def start(self) -> Matching:
        """Load the knowledge and build the first matcher; then sharpen in the background."""
        knowledge = await self._load()
        await self.swap(await self._build(knowledge, self.first), reason="start")
        if self.target is not None:
            self._sharpening = asyncio.create_task(self._sharpen(), name="sharpen-matching")
        return self.current

    async def reload(self, reason: str, *, fetch: bool = False) -> KnowledgeDiff | None:
        """Load the knowledge again; swap in what changed. None when nothing did.

        With ``fetch``, git sources are fetched first (a failure keeps their last good copy).
        """
        if fetch:
            await asyncio.to_thread(self.loader.refresh)
            self._report_sources()
        async with self._building:
            knowledge = await self._load()
            # 10,000 entries compared: in a thread, the event loop keeps answering.
            difference = await asyncio.to_thread(diff_knowledge, self.current.knowledge, knowledge)
            if not difference:
                log.debug("reload (%s): the knowledge is unchanged", reason)
                return None
            encoder = self.current.matcher.encoder
            if encoder is self.target and self.target is not None:
                await self._fetch_vectors(knowledge)
            matching = await self._build(knowledge, encoder, elsewhere=True)
            await self.swap(matching, reason=reason)
        log.info(
            "reloaded the knowledge (%s): %s; %d entries",
            reason,
            difference,
            len(knowledge.entries),
        )
        self.metrics.knowledge_reloads.labels(outcome="changed").inc()
        return difference

    async def watch(self, refresh_every: float) -> None:
        """Forever: pick up saved files within seconds and fetch git sources every
        ``refresh_every`` seconds (0: never); a failure is logged and tried again later."""
        next_refresh = time.monotonic() + refresh_every if refresh_every > 0 else float("inf")
        while True:
            await asyncio.sleep(self.loader.poll_interval)
            try:
                changed = await asyncio.to_thread(self.loader.changed)
                if time.monotonic() >= next_refresh:
                    next_refresh = time.monotonic() + refresh_every
                    changed = await asyncio.to_thread(self.loader.refresh) or changed
                    self._report_sources()
                if changed:
                    await self.reload("files changed")
            except Exception:  # a bug here must not stop answers, nor later reloads
                log.exception("reloading the knowledge failed; the last good knowledge stays")
                self.metrics.knowledge_reloads.labels(outcome="failed").inc()

    async def wait_sharpened(self) -> None:
        """Wait until the background switch to the target encoder has ended (or failed)."""
        if self._sharpening is not None:
            await asyncio.shield(self._sharpening)

    async def settled(self) -> None:
        """Wait until the matchers built so far are in the cache (benchmarks, tests)."""
        while self._saving:
            await asyncio.wait(set(self._saving))

    async def close(self) -> None:
        """Stop sharpening; vectors just encoded still reach the database (a wiped disk at the
        next start would encode them all again), for at most STORE_ON_CLOSE seconds."""
        if self._sharpening is not None:
            self._sharpening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sharpening
        if self._storing is not None and not self._storing.done():
            await asyncio.wait({self._storing}, timeout=STORE_ON_CLOSE)
        if self._saving:  # a matcher being cached: the next start reads it
            await asyncio.wait(set(self._saving), timeout=STORE_ON_CLOSE)

    # --- building --------------------------------------------------------------------------

    async def _load(self) -> KnowledgeBase:
        knowledge = await asyncio.to_thread(self.loader.load)
        if self.transform is not None:
            knowledge = await self.transform(knowledge)
        return knowledge

    async def _build(
        self,
        knowledge: KnowledgeBase,
        encoder: MeaningEncoder | None,
        *,
        elsewhere: bool = False,
    ) -> Matching:
        """The matcher from the cache, else built; with ``elsewhere`` (a reload: questions are
        being answered), built in another process, so the event loop never waits for it."""
        cache = self.matcher_cache
        matcher = None
        if cache is not None:
            matcher = await asyncio.to_thread(cache.load, knowledge, self.threshold, encoder)
            if matcher is None and elsewhere:
                matcher = await build_elsewhere(cache, knowledge, self.threshold, encoder)
        if matcher is None:
            matcher = await asyncio.to_thread(Matcher, knowledge, self.threshold, encoder)
            if cache is not None:  # after the swap: the first answer does not wait for it
                saving = asyncio.ensure_future(asyncio.to_thread(cache.save, matcher))
                self._saving.add(saving)
                saving.add_done_callback(self._saving.discard)
        return Matching(knowledge, matcher)

    async def _cached(
        self, knowledge: KnowledgeBase, encoder: MeaningEncoder | None
    ) -> Matching | None:
        if self.matcher_cache is None:
            return None
        cache = self.matcher_cache
        matcher = await asyncio.to_thread(cache.load, knowledge, self.threshold, encoder)
        return Matching(knowledge, matcher) if matcher is not None else None

    async def swap(self, matching: Matching, *, reason: str) -> None:
        """Answer from ``matching`` from now on (built here, or by a caller such as a test)."""
        previous = self._current
        self._current = matching
        self.metrics.show_matching(matching.mode, len(matching.knowledge.entries))
        if previous is not None and previous.mode != matching.mode:
            log.info("matching: %s on (%s)", matching.mode, reason)

    async def _sharpen(self) -> None:
        """Encode the entries with the target encoder, then switch to it; again if the
        knowledge changed meanwhile."""
        assert self.target is not None
        started = time.process_time()
        try:
            while True:
                async with self._building:
                    knowledge = self.current.knowledge
                    cached = await self._cached(knowledge, self.target)
                    if cached is not None:  # a restart: nothing to encode
                        await self.swap(cached, reason="cached matcher")
                        break
                    await self._fetch_vectors(knowledge)
                    fresh = await asyncio.to_thread(self._uncached, knowledge)
                    if fresh:
                        log.info(
                            "encoding %d knowledge texts with %s in the background; "
                            "answering with %s meanwhile",
                            len(fresh),
                            self.target.name,
                            self.current.mode,
                        )
                    matching = await self._build(knowledge, self.target)
                    if self.current.knowledge is knowledge:
                        await self.swap(matching, reason="entries encoded")
                        # Shielded: a worker stopping now still keeps them (``close``).
                        self._storing = asyncio.ensure_future(self._store_vectors(fresh))
                        await asyncio.shield(self._storing)
                        break
            log.info(
                "sentence matching is on after %.1f s of CPU for %d entries",
                time.process_time() - started,
                len(self.current.knowledge.entries),
            )
        except Exception:  # answers go on with the first matcher
            log.exception(
                "could not switch to %s; matching stays %s", self.target.name, self.current.mode
            )

    async def _fetch_vectors(self, knowledge: KnowledgeBase) -> None:
        """Copy vectors the database has and the disk cache lacks (a wiped disk)."""
        if self.vector_store is None or self.target is None:
            return
        # Passages of 10,000 entries and their digests: seconds, so not on the event loop.
        missing = await asyncio.to_thread(self._uncached, knowledge)
        if not missing:
            return
        try:
            found = await self.vector_store.embeddings_get(self.target.model_key, list(missing))
        except Exception as exc:  # the database is optional here: encode instead
            log.warning("could not read cached vectors from the database: %s", exc)
            return
        vectors = {
            k: np.frombuffer(v, dtype=STORED_DTYPE).astype(np.float32) for k, v in found.items()
        }
        await asyncio.to_thread(self.target.add, vectors)
        if vectors:
            log.info("read %d cached vectors from the database", len(vectors))

    def _uncached(self, knowledge: KnowledgeBase) -> dict[str, str]:
        assert self.target is not None
        return self.target.uncached(texts_to_encode(knowledge))

    async def _store_vectors(self, fresh: Mapping[str, str]) -> None:
        if self.vector_store is None or self.target is None or not fresh:
            return
        vectors = self.target.vectors(list(fresh))
        items = {k: v.astype(STORED_DTYPE).tobytes() for k, v in vectors.items()}
        try:
            await self.vector_store.embeddings_put(self.target.model_key, items)
        except Exception as exc:
            log.warning("could not keep the vectors in the database: %s", exc)

    def _report_sources(self) -> None:
        for name, state in self.loader.refresh_states.items():
            self.metrics.show_source(name, state.last_success, state.failures)
