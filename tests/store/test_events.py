"""Events are handled once per process whatever the database does, and can be given back."""

from __future__ import annotations

from bot.metrics import Metrics
from bot.service import QABot
from bot.store.recent import RecentEvents
from tests.store.support import Clock, Database


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_memory_refuses_repeats_until_the_time_to_live_passes() -> None:
    ticks = Ticks()
    recent = RecentEvents(ttl=3600, capacity=100, clock=ticks)

    assert recent.claim("slack", "Ev1") == "new"
    ticks.now = 3599
    assert recent.claim("slack", "Ev1") == "seen"
    assert recent.claim("discord", "Ev1") == "new"
    ticks.now = 3600
    assert recent.claim("slack", "Ev1") == "new"


def test_a_released_event_is_claimed_again_and_the_oldest_go_first_beyond_capacity() -> None:
    ticks = Ticks()
    recent = RecentEvents(ttl=3600, capacity=3, clock=ticks)
    for n in range(3):
        ticks.now = n
        recent.claim("slack", f"Ev{n}")

    recent.release("slack", "Ev0")
    assert recent.claim("slack", "Ev0") == "released"
    assert recent.claim("slack", "Ev0") == "seen"
    recent.claim("slack", "Ev3")  # over capacity: Ev1, now the oldest, is forgotten

    assert len(recent) == 3
    assert recent.claim("slack", "Ev2") == "seen"
    assert recent.claim("slack", "Ev1") == "new"


async def test_a_released_event_is_answered_on_redelivery_here_or_elsewhere(
    db: Database, clock: Clock
) -> None:
    here = await QABot.start(db.settings(), clock=clock, store=db.store(), metrics=Metrics())
    there = await QABot.start(db.settings(), clock=clock, store=db.store(), metrics=Metrics())

    assert await here.claim_event("slack", "Ev1")
    assert not await here.claim_event("slack", "Ev1")
    assert not await there.claim_event("slack", "Ev1")  # the database tells other processes

    await here.release_event("slack", "Ev1")  # the answer could not be posted
    assert await here.flush()
    assert await there.claim_event("slack", "Ev1")  # Slack's redelivery reached the other one
    assert not await there.claim_event("slack", "Ev1")

    await here.release_event("slack", "Ev2")  # never claimed: nothing to give back
    assert await here.claim_event("slack", "Ev3")
    await here.release_event("slack", "Ev3")
    assert await here.claim_event("slack", "Ev3")  # redelivered to the same process
    assert not await here.claim_event("slack", "Ev3")
    await here.close()
    await there.close()
