"""Weekly tips: exactly once per (platform, channel, ISO week), catch-up, stale claims, retries."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.metrics import Metrics
from bot.models import Tip
from bot.schedule import parse_weekly_slot
from bot.settings import TipChannel
from bot.store import Store, TipLedger
from bot.tips import TipScheduler
from tests.store.support import Clock, Database, Knowledge

MONDAY_9 = parse_weekly_slot("mon 09:00 Europe/Berlin")
CHANNELS = (TipChannel("C1", MONDAY_9), TipChannel("C2", MONDAY_9), TipChannel("C3", MONDAY_9))


class Channel:
    """Stands in for the platform: records what was posted, can fail a number of times.

    ``lost_replies`` posts that go through but whose reply never arrives (a timeout)."""

    def __init__(self, failures: int = 0, lost_replies: int = 0) -> None:
        self.posted: list[Tip] = []
        self.failures = failures
        self.lost_replies = lost_replies

    async def post(self, tip: Tip) -> str:
        await asyncio.sleep(0)  # let concurrent runs interleave here
        if self.failures:
            self.failures -= 1
            raise ConnectionError("platform API unavailable")
        self.posted.append(tip)
        if self.lost_replies:
            self.lost_replies -= 1
            raise TimeoutError("no reply from the platform")
        return f"msg-{len(self.posted)}"

    async def find(self, tip: Tip, since: dt.datetime) -> str | None:
        for n, posted in enumerate(self.posted, 1):
            if (posted.channel, posted.week) == (tip.channel, tip.week):
                return f"msg-{n}"
        return None


def scheduler(
    store: Store,
    knowledge: Knowledge,
    clock: Clock,
    sleeps: list[float] | None = None,
    channels: tuple[TipChannel, ...] = CHANNELS,
) -> TipScheduler:
    async def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    return TipScheduler(
        source=lambda channel: knowledge,
        ledger=TipLedger(store.engine),
        platform="slack",
        channels=channels,
        clock=clock,
        metrics=Metrics(),
        sleep=sleep,
    )


async def test_ten_concurrent_runs_post_exactly_one_tip_per_channel(
    db: Database, store: Store, knowledge: Knowledge, clock: Clock
) -> None:
    channel = Channel()
    runs = [scheduler(db.store(), knowledge, clock) for _ in range(10)]

    results = await asyncio.gather(*(run.run_due(channel.post) for run in runs))

    assert sorted(t.channel for t in channel.posted) == ["C1", "C2", "C3"]
    assert sum(len(r) for r in results) == 3
    assert {t.week for t in channel.posted} == {"2026-W48"}
    for name in ("C1", "C2", "C3"):
        (record,) = await TipLedger(store.engine).records("slack", name)
        assert record.posted_at is not None and record.message_ref is not None


async def test_nothing_is_posted_before_the_slot(
    store: Store, knowledge: Knowledge, clock: Clock
) -> None:
    clock.now = dt.datetime(2026, 11, 23, 7, 59, tzinfo=dt.UTC)  # Monday 08:59 in Berlin
    channel = Channel()

    assert await scheduler(store, knowledge, clock).run_due(channel.post) == []

    clock.advance(minutes=1)
    assert len(await scheduler(store, knowledge, clock).run_due(channel.post)) == 3


async def test_a_restart_after_a_missed_slot_catches_up_once_in_the_same_week_only(
    db: Database, store: Store, knowledge: Knowledge, clock: Clock
) -> None:
    channel = Channel()
    # The process was down on Monday; it starts again on Wednesday of the same week.
    assert len(await scheduler(store, knowledge, clock).run_due(channel.post)) == 3
    # Restarted again later that week: nothing more.
    clock.advance(days=2)
    assert await scheduler(db.store(), knowledge, clock).run_due(channel.post) == []

    # Down from then until after the next Monday's slot was missed... but only within W49.
    clock.now = dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC)  # Monday W49, 08:00 Berlin
    assert await scheduler(db.store(), knowledge, clock).run_due(channel.post) == []
    clock.now = dt.datetime(2026, 12, 2, 7, 0, tzinfo=dt.UTC)  # Wednesday W49
    second = await scheduler(db.store(), knowledge, clock).run_due(channel.post)
    assert [t.week for t in second] == ["2026-W49"] * 3
    first_c1 = next(t for t in channel.posted if t.channel == "C1" and t.week == "2026-W48")
    second_c1 = next(t for t in second if t.channel == "C1")
    assert second_c1.entry.id != first_c1.entry.id


async def test_a_week_missed_entirely_is_not_posted_the_next_week(
    store: Store, knowledge: Knowledge, clock: Clock
) -> None:
    channel = Channel()
    # Down for all of W48 after its slot; back on Monday of W49 at 08:00, before W49's slot.
    clock.now = dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC)

    assert await scheduler(store, knowledge, clock).run_due(channel.post) == []

    assert await TipLedger(store.engine).records("slack", "C1") == []


async def test_a_stale_claim_is_recovered_after_the_timeout(
    db: Database, store: Store, knowledge: Knowledge, clock: Clock
) -> None:
    ledger = TipLedger(store.engine)
    # Another process claimed C1 and crashed before posting.
    crashed = await ledger.claim(
        "slack", "C1", "2026-W48", knowledge.entries[0].id, clock(), dt.timedelta(minutes=10)
    )
    assert crashed is not None
    channel = Channel()
    only_c1 = (CHANNELS[0],)

    clock.advance(minutes=5)
    assert (
        await scheduler(db.store(), knowledge, clock, channels=only_c1).run_due(channel.post) == []
    )

    clock.advance(minutes=6)
    recovered = await scheduler(db.store(), knowledge, clock, channels=only_c1).run_due(
        channel.post
    )
    assert [t.channel for t in recovered] == ["C1"]
    clock.advance(minutes=30)
    assert (
        await scheduler(db.store(), knowledge, clock, channels=only_c1).run_due(channel.post) == []
    )
    assert len(channel.posted) == 1
    assert not await ledger.mark_posted(crashed, "late", clock())  # the crashed claim lost it


async def test_posting_errors_are_retried_with_backoff(
    store: Store, knowledge: Knowledge, clock: Clock, sleeps: list[float]
) -> None:
    channel = Channel(failures=2)

    posted = await scheduler(store, knowledge, clock, sleeps, (CHANNELS[0],)).run_due(channel.post)

    assert [t.channel for t in posted] == ["C1"]
    assert sleeps == [2.0, 4.0]


async def test_a_post_that_keeps_failing_releases_the_week_for_the_next_run(
    store: Store, knowledge: Knowledge, clock: Clock, sleeps: list[float]
) -> None:
    channel = Channel(failures=3)
    run = scheduler(store, knowledge, clock, sleeps, (CHANNELS[0],))

    assert await run.run_due(channel.post) == []
    (released,) = await TipLedger(store.engine).records("slack", "C1")
    assert released.posted_at is None

    clock.advance(minutes=5)
    assert [t.channel for t in await run.run_due(channel.post)] == ["C1"]
    assert run.metrics.registry.get_sample_value("qabot_errors_total", {"kind": "tip_post"}) == 1


async def test_rotation_posts_every_entry_before_repeating(
    store: Store, knowledge: Knowledge, clock: Clock
) -> None:
    channel = Channel()
    only_c1 = (CHANNELS[0],)
    for _ in range(len(knowledge.entries) + 1):
        await scheduler(store, knowledge, clock, channels=only_c1).run_due(channel.post)
        clock.advance(days=7)

    ids = [t.entry.id for t in channel.posted]
    assert len(ids) == 6
    assert sorted(ids[:5]) == sorted(e.id for e in knowledge.entries)
    assert ids[5] == ids[0]  # the next cycle starts in the same order


async def test_preview_shows_the_next_tip_without_posting(
    store: Store, knowledge: Knowledge, clock: Clock
) -> None:
    channel = Channel()
    run = scheduler(store, knowledge, clock, channels=(CHANNELS[0],))
    (before,) = await run.preview()
    assert before.overdue and before.week == "2026-W48"

    (posted,) = await run.run_due(channel.post)
    (after,) = await run.preview()

    assert before.entry == posted.entry
    assert not after.overdue and after.week == "2026-W49"
    assert after.entry is not None and after.entry != posted.entry
    assert after.due == dt.datetime(2026, 11, 30, 9, 0, tzinfo=after.due.tzinfo)


async def test_run_forever_keeps_checking_at_the_interval(
    store: Store, knowledge: Knowledge, clock: Clock
) -> None:
    channel = Channel()
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:
            raise asyncio.CancelledError

    run = scheduler(store, knowledge, clock, channels=(CHANNELS[0],))
    run.sleep = sleep
    with pytest.raises(asyncio.CancelledError):
        await run.run_forever(channel.post, interval=60)

    assert sleeps == [60, 60, 60]
    assert len(channel.posted) == 1


async def test_a_post_that_went_through_without_a_reply_is_not_retried(
    store: Store, knowledge: Knowledge, clock: Clock, sleeps: list[float]
) -> None:
    channel = Channel(lost_replies=1)

    posted = await scheduler(store, knowledge, clock, sleeps, (CHANNELS[0],)).run_due(
        channel.post, channel.find
    )

    assert [t.channel for t in posted] == ["C1"]
    assert len(channel.posted) == 1
    (record,) = await TipLedger(store.engine).records("slack", "C1")
    assert record.message_ref == "msg-1"


async def test_a_released_week_whose_post_went_through_is_recorded_on_the_next_run(
    db: Database, store: Store, knowledge: Knowledge, clock: Clock, sleeps: list[float]
) -> None:
    # The first reply is lost and the retries fail: the week is given back, the tip is there.
    channel = Channel(lost_replies=1)
    calls = 0

    async def post_then_fail(tip: Tip) -> str:
        nonlocal calls
        calls += 1
        if calls > 1:
            raise ConnectionError("platform API unavailable")
        return await channel.post(tip)

    async def cannot_look(tip: Tip, since: dt.datetime) -> str | None:
        raise ConnectionError("platform API unavailable")

    run = scheduler(store, knowledge, clock, sleeps, (CHANNELS[0],))
    assert await run.run_due(post_then_fail, cannot_look) == []
    assert run.failed == ["C1"]

    clock.advance(minutes=5)
    again = scheduler(db.store(), knowledge, clock, sleeps, (CHANNELS[0],))
    assert await again.run_due(channel.post, channel.find) == []

    assert len(channel.posted) == 1
    (record,) = await TipLedger(store.engine).records("slack", "C1")
    assert record.posted_at is not None and record.message_ref == "msg-1"
