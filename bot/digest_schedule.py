"""Posting the weekly host digest once per channel and ISO week, from any number of workers.

``DigestScheduler`` claims a (platform, channel, ISO week) row in ``digest_posts`` before it
posts, like the weekly tips (``bot.tips``), so concurrent workers and restarts post each week
once; what the digest says comes from ``bot.digest``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.digest import Digest, EntryLookup, GroupByMeaning, compose_digest, gather_facts
from bot.metrics import Metrics
from bot.report import meaning_clusters
from bot.schedule import iso_week
from bot.settings import TipChannel
from bot.store.digest_ledger import DigestLedger
from bot.tips import BACKOFF_SECONDS, POST_ATTEMPTS, STALE_CLAIM_AFTER
from bot.weekly import check_forever, with_retries

if TYPE_CHECKING:
    from bot.service import QABot

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PostedDigest:
    platform: str
    channel: str
    week: str
    digest: Digest


PostDigest = Callable[[str, Digest], Awaitable[str | None]]  # (channel, digest) -> message ref


class DigestScheduler:
    """Posts each host channel's digest once per ISO week, at or after its slot."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        lookup: EntryLookup,
        by_meaning: GroupByMeaning | None = None,
        platform: str,
        channels: Sequence[TipChannel],
        clock: Clock,
        metrics: Metrics,
        sleep: Sleep = asyncio.sleep,
        stale_after: dt.timedelta = STALE_CLAIM_AFTER,
        attempts: int = POST_ATTEMPTS,
        backoff: float = BACKOFF_SECONDS,
    ) -> None:
        self.engine = engine
        self.ledger = DigestLedger(engine)
        self.lookup = lookup
        self.by_meaning = by_meaning
        self.platform = platform
        self.channels = tuple(channels)
        self.clock = clock
        self.metrics = metrics
        self.sleep = sleep
        self.stale_after = stale_after
        self.attempts = attempts
        self.backoff = backoff
        self.failed: list[str] = []  # channels whose post failed in the last run_due

    async def preview(self) -> Digest:
        """The digest as it would read now (the 7 days up to now); claims nothing."""
        now = self.clock()
        facts = await gather_facts(self.engine, now, self.lookup, by_meaning=self.by_meaning)
        return compose_digest(facts)

    async def run_due(self, post: PostDigest) -> list[PostedDigest]:
        """Post every digest that is due and not yet posted or claimed; return those posted."""
        posted = []
        self.failed = []
        for channel in self.channels:
            done = await self._run_channel(channel, post)
            if done is not None:
                posted.append(done)
        return posted

    async def run_forever(self, post: PostDigest, *, interval: float = 300) -> None:
        """Check every ``interval`` seconds; errors are logged and retried on the next check."""
        await check_forever(
            lambda: self.run_due(post),
            what="digest",
            metrics=self.metrics,
            interval=interval,
            sleep=self.sleep,
        )

    async def _run_channel(self, channel: TipChannel, post: PostDigest) -> PostedDigest | None:
        now = self.clock()
        slot = channel.slot.in_week_of(now)
        if now < slot:
            return None
        week = iso_week(slot)
        claim = None
        if not await self.ledger.posted(self.platform, channel.channel, week):
            claim = await self.ledger.claim(
                self.platform, channel.channel, week, now, self.stale_after
            )
        if claim is None:  # another process posted it, or is posting it right now
            log.debug("the %s digest for %s/%s is posted", week, self.platform, channel.channel)
            return None
        try:
            facts = await gather_facts(
                self.engine, slot, self.lookup, week=week, by_meaning=self.by_meaning
            )
            digest = compose_digest(facts)
            ref = await with_retries(
                lambda: post(channel.channel, digest),
                what=f"posting the digest to {channel.channel}",
                attempts=self.attempts,
                backoff=self.backoff,
                sleep=self.sleep,
            )
        except Exception:
            await self.ledger.release(claim)
            self.failed.append(channel.channel)
            self.metrics.errors.labels(kind="digest_post").inc()
            log.exception("could not post the %s digest to %s; will retry", week, channel.channel)
            return None
        await self.ledger.mark_posted(claim, ref, self.clock())
        log.info("posted the %s host digest to %s/%s", week, self.platform, channel.channel)
        return PostedDigest(self.platform, channel.channel, week, digest)


def digest_scheduler(bot: QABot, platform: str, channels: Sequence[TipChannel]) -> DigestScheduler:
    """The scheduler for a platform's host channels, over the bot's store and knowledge.

    Missed questions are grouped by meaning with the matcher's encoder, as in ``qabot report``.
    """

    async def by_meaning(texts: Sequence[str]) -> list[list[int]] | None:
        encoder = bot.matcher.encoder
        if encoder is None or not encoder.blocking:
            # Word vectors (or none) until the sentence model is on: the word vectors' sums
            # put "how do I pay?" near "how are you?", so group by content words instead.
            return None
        return await meaning_clusters(bot.store, bot.knowledge, texts, encoder)

    return DigestScheduler(
        engine=bot.store.engine,
        lookup=lambda entry_id: bot.knowledge.get(entry_id),
        by_meaning=by_meaning,
        platform=platform,
        channels=channels,
        clock=bot.clock,
        metrics=bot.metrics,
    )
