"""The digest ledger and mentor requests on SQLite and PostgreSQL: one claim wins, a stale
claim is taken over, a failed post is given back, and requests are counted per member."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.digest import Digest
from bot.digest_schedule import DigestScheduler
from bot.metrics import Metrics
from bot.schedule import parse_weekly_slot
from bot.settings import TipChannel
from bot.store import Store
from bot.store.digest_ledger import DigestLedger
from bot.store.mentor_store import MentorStore
from tests.store.support import Clock, Database

STALE = dt.timedelta(minutes=10)


async def test_one_of_many_concurrent_claims_wins_the_week(db: Database, clock: Clock) -> None:
    stores: list[Store] = [db.store() for _ in range(4)]  # four processes
    await stores[0].upgrade()
    ledgers = [DigestLedger(store.engine) for store in stores]
    claims = await asyncio.gather(
        *(ledger.claim("slack", "CHOST", "2026-W48", clock(), STALE) for ledger in ledgers)
    )
    [won] = [claim for claim in claims if claim is not None]
    assert not await ledgers[1].posted("slack", "CHOST", "2026-W48")
    assert await ledgers[2].mark_posted(won, "1.0001", clock())
    assert await ledgers[3].posted("slack", "CHOST", "2026-W48")
    clock.advance(hours=1)  # posted weeks are never taken over, however old
    assert await ledgers[1].claim("slack", "CHOST", "2026-W48", clock(), STALE) is None
    assert await ledgers[1].claim("slack", "CHOST", "2026-W49", clock(), STALE) is not None


async def test_a_crashed_claim_is_taken_over_and_a_failed_post_given_back(
    store: Store, clock: Clock
) -> None:
    ledger = DigestLedger(store.engine)
    crashed = await ledger.claim("discord", "55", "2026-W48", clock(), STALE)
    assert crashed is not None
    assert await ledger.claim("discord", "55", "2026-W48", clock(), STALE) is None
    clock.advance(minutes=11)
    retaken = await ledger.claim("discord", "55", "2026-W48", clock(), STALE)
    assert retaken is not None
    assert not await ledger.mark_posted(crashed, "late", clock())  # the old claim lost it
    await ledger.release(retaken)
    assert await ledger.claim("discord", "55", "2026-W48", clock(), STALE) is not None


async def test_a_question_goes_to_the_mentors_once_and_requests_count_per_member(
    store: Store, clock: Clock
) -> None:
    mentors = MentorStore(store.engine)

    async def claim(log_id: int, user: str) -> bool:
        return await mentors.claim(
            log_id,
            platform="slack",
            channel="C1",
            thread_ref="https://t/1",
            user_hash=user,
            question="how do I pay?",
            now=clock(),
        )

    assert sorted(await asyncio.gather(claim(7, "h1"), claim(7, "h1"))) == [False, True]
    await mentors.mark_notified(7, "1.0002", clock())
    assert await claim(8, "h1") and await claim(9, "h2")
    since = clock() - dt.timedelta(hours=1)
    assert (await mentors.recent("h1", since), await mentors.recent("h2", since)) == (2, 1)
    await mentors.release(8)  # its post failed: pressing again works
    await mentors.release(7)  # notified: kept
    assert await mentors.recent("h1", since) == 1 and await claim(8, "h1")
    clock.advance(minutes=61)
    assert await mentors.recent("h1", clock() - dt.timedelta(hours=1)) == 0


class HostChannel:
    """Stands in for the platform: records digests, fails a number of times first."""

    def __init__(self, failures: int = 0) -> None:
        self.posted: list[str] = []
        self.failures = failures

    async def post(self, channel: str, digest: Digest) -> str:
        await asyncio.sleep(0)  # let concurrent runs interleave here
        if self.failures:
            self.failures -= 1
            raise ConnectionError("platform API unavailable")
        self.posted.append(f"{channel} {digest.title}")
        return f"msg-{len(self.posted)}"


def digests(store: Store, clock: Clock, sleeps: list[float]) -> DigestScheduler:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return DigestScheduler(
        engine=store.engine,
        lookup=lambda entry_id: None,
        platform="slack",
        channels=(TipChannel("CHOST", parse_weekly_slot("wed 09:00 UTC")),),
        clock=clock,
        metrics=Metrics(),
        sleep=sleep,
    )


async def test_a_failing_post_is_retried_then_given_back_for_the_next_check(
    db: Database, store: Store, clock: Clock, sleeps: list[float]
) -> None:
    flaky = HostChannel(failures=2)  # two failures: the third attempt posts
    [posted] = await digests(store, clock, sleeps).run_due(flaky.post)
    assert sleeps == [2.0, 4.0] and flaky.posted == [f"CHOST {posted.digest.title}"]

    clock.advance(days=7)
    down = HostChannel(failures=3)  # down for all three attempts: the week is given back
    first = digests(store, clock, sleeps)
    assert await first.run_due(down.post) == [] and first.failed == ["CHOST"]
    again = await asyncio.gather(
        *(digests(db.store(), clock, []).run_due(down.post) for _ in range(3))
    )
    assert sum(len(r) for r in again) == 1 and len(down.posted) == 1  # once, by one process
