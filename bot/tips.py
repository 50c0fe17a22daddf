"""Weekly tips: which entry a channel gets next, and a scheduler that posts each week exactly once.

The scheduler claims a (platform, channel, ISO week) row under a unique constraint before it
posts, so any number of processes may run it; the adapter only posts the ``Tip`` it is handed.
A claim that was left unrecorded (a crash, or a post that failed or timed out) may hide a tip the
platform did accept: before posting under such a claim, or retrying a post, the scheduler asks
the platform (``FindTip``) and records the message it finds instead of posting again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.metrics import Metrics
from bot.models import Entry, Tip
from bot.schedule import iso_week
from bot.settings import TipChannel
from bot.store import TipLedger, TipRecord, stored_entry_id

log = logging.getLogger(__name__)

STALE_CLAIM_AFTER = dt.timedelta(minutes=10)
POST_ATTEMPTS = 3
BACKOFF_SECONDS = 2.0

PostTip = Callable[[Tip], Awaitable[str | None]]
# The reference of this tip's message if the platform already has it (posted since the datetime).
FindTip = Callable[[Tip, dt.datetime], Awaitable[str | None]]
Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], Awaitable[None]]


class TipPoster(Protocol):
    """Posts tips through a platform's Web API (``Platform.tip_poster``, ``bot.platforms``).

    A poster may also have ``find`` (a ``FindTip``): without it, a tip whose post went through
    but was not recorded (a crash) is posted again after the stale-claim window.
    """

    @property
    def platform(self) -> str:
        """The platform's name, as registered in ``qabot.platforms``."""
        ...

    @property
    def channels(self) -> Sequence[TipChannel]:
        """From the platform's tip channels setting."""
        ...

    async def post(self, tip: Tip) -> str | None:
        """Post one tip; return a message reference (Slack ts, Discord message id)."""
        ...

    async def aclose(self) -> None: ...


class TipSource(Protocol):
    """What the rotation needs from the knowledge base."""

    @property
    def entries(self) -> tuple[Entry, ...]: ...

    @property
    def curated_tips(self) -> tuple[str, ...]: ...

    @property
    def tip_entries(self) -> tuple[Entry, ...]:
        """The entries that make a tip (``bot.knowledge.tipworthy``)."""
        ...


@dataclass(frozen=True, slots=True)
class TipPool:
    """A part of the knowledge that a channel's tips are drawn from (CHANNEL_KNOWLEDGE)."""

    entries: tuple[Entry, ...]
    curated_tips: tuple[str, ...]
    tip_entries: tuple[Entry, ...]

    @classmethod
    def within(cls, source: TipSource, ids: Collection[str]) -> TipPool:
        return cls(
            tuple(e for e in source.entries if e.id in ids),
            tuple(i for i in source.curated_tips if i in ids),
            tuple(e for e in source.tip_entries if e.id in ids),
        )


@dataclass(frozen=True, slots=True)
class TipPreview:
    """The next tip of one channel and when it is due."""

    channel: str
    due: dt.datetime  # the slot, in the channel's time zone
    week: str
    entry: Entry | None  # None when the knowledge base is empty
    overdue: bool  # the slot has passed and this week's tip is not posted yet


def rotation(source: TipSource, platform: str, channel: str) -> list[Entry]:
    """The order tips are drawn in: curated ids first, then a shuffle fixed per channel of the
    entries that make a tip."""
    by_id = {entry.id: entry for entry in source.entries}
    curated = [by_id[i] for i in dict.fromkeys(source.curated_tips) if i in by_id]
    chosen = {entry.id for entry in curated}
    rest = [entry for entry in source.tip_entries if entry.id not in chosen]
    random.Random(f"{platform}:{channel}").shuffle(rest)
    return curated + rest


def next_entry(order: Sequence[Entry], posted: Sequence[str]) -> Entry | None:
    """The first entry of ``order`` not yet posted in the current cycle.

    ``posted`` lists entry ids oldest first. A cycle ends when every current entry has been
    posted; a repeated id in the history marks where the next cycle began.
    """
    current = {entry.id for entry in order}
    seen: set[str] = set()
    for entry_id in posted:
        if entry_id in seen:
            seen = set()
        seen.add(entry_id)
        if current <= seen:
            seen = set()
    remaining = [entry for entry in order if entry.id not in seen]
    return remaining[0] if remaining else (order[0] if order else None)


class TipScheduler:
    """Posts each channel's tip once per ISO week, at or after its slot (same week only)."""

    def __init__(
        self,
        *,
        source: Callable[[str], TipSource],
        ledger: TipLedger,
        platform: str,
        channels: Sequence[TipChannel],
        clock: Clock,
        metrics: Metrics,
        sleep: Sleep = asyncio.sleep,
        stale_after: dt.timedelta = STALE_CLAIM_AFTER,
        attempts: int = POST_ATTEMPTS,
        backoff: float = BACKOFF_SECONDS,
    ) -> None:
        self.source = source  # what a channel's tips are drawn from, read when needed
        self.ledger = ledger
        self.platform = platform
        self.channels = tuple(channels)
        self.clock = clock
        self.metrics = metrics
        self.sleep = sleep
        self.stale_after = stale_after
        self.attempts = attempts
        self.backoff = backoff
        self.failed: list[str] = []  # channels whose post failed in the last run_due

    async def run_due(self, post: PostTip, find: FindTip | None = None) -> list[Tip]:
        """Post every tip that is due now and not yet posted or claimed; return those posted.

        Without ``find`` a tip whose post went through unrecorded is posted again."""
        posted = []
        self.failed = []
        for channel in self.channels:
            tip = await self._run_channel(channel, post, find)
            if tip is not None:
                posted.append(tip)
        return posted

    async def run_forever(
        self, post: PostTip, find: FindTip | None = None, *, interval: float = 300
    ) -> None:
        """Check every ``interval`` seconds; errors are logged and retried on the next check."""
        while True:
            try:
                await self.run_due(post, find)
            except Exception:
                self.metrics.errors.labels(kind="tip_run").inc()
                log.exception("weekly tip check failed; retrying in %.0f s", interval)
            await self.sleep(interval)

    async def preview(self) -> list[TipPreview]:
        """The next tip for each channel, without claiming or posting anything."""
        now = self.clock()
        previews = []
        for channel in self.channels:
            slot = channel.slot.in_week_of(now)
            week = iso_week(slot)
            records = await self.ledger.records(self.platform, channel.channel)
            this_week = next((r for r in records if r.week == week and r.posted_at), None)
            if this_week is not None:
                slot = channel.slot.in_week_of(slot + dt.timedelta(days=7))
                week = iso_week(slot)
            order = rotation(self.source(channel.channel), self.platform, channel.channel)
            entry = next_entry(order, _posted_before(records, week, order))
            overdue = this_week is None and now >= slot
            previews.append(TipPreview(channel.channel, slot, week, entry, overdue))
        return previews

    async def _run_channel(
        self, channel: TipChannel, post: PostTip, find: FindTip | None
    ) -> Tip | None:
        now = self.clock()
        slot = channel.slot.in_week_of(now)
        if now < slot:
            return None
        week = iso_week(slot)
        records = await self.ledger.records(self.platform, channel.channel)
        if any(r.week == week and r.posted_at for r in records):
            return None
        order = rotation(self.source(channel.channel), self.platform, channel.channel)
        entry = next_entry(order, _posted_before(records, week, order))
        if entry is None:
            log.warning("no knowledge entries to post as a tip in %s", channel.channel)
            return None
        claim = await self.ledger.claim(
            self.platform, channel.channel, week, entry.id, now, self.stale_after
        )
        if claim is None:
            return None  # another process posted it, or is posting it right now
        tip = Tip(entry, self.platform, channel.channel, week, claim=claim.token)
        lookup = _Lookup(find, tip, slot)
        try:
            # A retaken claim may belong to a post the platform accepted: look before posting.
            ref = await lookup() if claim.retaken else None
            if ref is not None:
                await self.ledger.mark_posted(claim, ref, self.clock())
                log.warning(
                    "the %s tip for %s/%s was already posted (%s); recorded it, posted nothing",
                    week,
                    self.platform,
                    channel.channel,
                    ref,
                )
                return None
            ref = await self._post_with_retries(post, tip, lookup)
        except Exception:
            await self.ledger.release(claim)
            self.failed.append(channel.channel)
            self.metrics.errors.labels(kind="tip_post").inc()
            log.exception("could not post the %s tip to %s; will retry", week, channel.channel)
            return None
        await self.ledger.mark_posted(claim, ref, self.clock())
        self.metrics.tips_posted.labels(platform=self.platform).inc()
        log.info("posted tip %s to %s/%s for %s", entry.id, self.platform, channel.channel, week)
        return tip

    async def _post_with_retries(self, post: PostTip, tip: Tip, lookup: _Lookup) -> str | None:
        for attempt in range(1, self.attempts + 1):
            try:
                if attempt > 1:  # the failed attempt may have reached the channel all the same
                    found = await lookup()
                    if found is not None:
                        return found
                return await post(tip)
            except Exception as exc:
                if attempt == self.attempts:
                    raise
                delay = self.backoff * 2 ** (attempt - 1)
                log.warning(
                    "posting tip to %s failed (%s); retry %d in %.0f s",
                    tip.channel,
                    exc,
                    attempt,
                    delay,
                )
                await self.sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises


class _Lookup:
    """Asks the platform for a tip's message; a lookup that fails answers "not there", since a
    tip posted twice is better than none (the platform may refuse reads the bot lacks rights to).
    """

    def __init__(self, find: FindTip | None, tip: Tip, since: dt.datetime) -> None:
        self.find = find
        self.tip = tip
        self.since = since

    async def __call__(self) -> str | None:
        if self.find is None:
            return None
        try:
            return await self.find(self.tip, self.since)
        except Exception as exc:
            log.warning(
                "could not check whether the %s tip is already in %s (%s); posting it",
                self.tip.week,
                self.tip.channel,
                exc,
            )
            return None


def _posted_before(records: Sequence[TipRecord], week: str, order: Sequence[Entry]) -> list[str]:
    # The ledger holds ids in their stored form (long ones hashed): map them back.
    ids = {stored_entry_id(entry.id): entry.id for entry in order}
    return [
        ids.get(r.entry_id, r.entry_id)
        for r in records
        if r.posted_at is not None and r.week < week
    ]
