"""Picks are recorded as picks (never as questions), and the ones that correct the bot propose
the member's wording as an alias; accepted, it is answered like the entry's own question."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.metrics import Metrics
from bot.models import Answer, AskContext, NoAnswer
from bot.service import QABot
from bot.store.alias_store import AliasStore
from bot.store.schema import alias_proposers, picks, question_log
from tests.store.support import Clock, Database

MISSED = "what should I show so they don't think I'm a hobbyist"
PROOF = "proof-of-work"  # in the id of the entry members pick for it
ALICE = AskContext("slack", workspace="T1", channel="C1", user="U0ALICE42")
BOB = AskContext("slack", workspace="T1", channel="C1", user="U0BOB77")


async def start(db: Database, clock: Clock) -> QABot:
    store = db.store()
    return await QABot.start(db.settings(), clock=clock, store=store, metrics=Metrics())


def proof_entry(bot: QABot) -> str:
    (entry_id,) = [e.id for e in bot.knowledge.entries if PROOF in e.id]
    return entry_id


async def test_a_suggestion_picked_after_a_miss_is_a_pick_and_proposes_the_wording(
    db: Database, clock: Clock
) -> None:
    bot = await start(db, clock)
    missed = await bot.ask(MISSED, ALICE)
    assert isinstance(missed.result, NoAnswer)
    entry_id = proof_entry(bot)
    assert entry_id in [c.entry.id for c in missed.result.suggestions]

    picked = await bot.pick(entry_id, ALICE, via="suggestion", log_id=missed.log_id)

    assert picked is not None and isinstance(picked.result, Answer)
    assert picked.result.entry.id == entry_id and picked.result.question == MISSED
    assert await bot.flush(5.0)
    async with bot.store.engine.connect() as conn:
        questions = (await conn.execute(select(question_log))).mappings().all()
        (pick,) = (await conn.execute(select(picks))).mappings().all()
    assert [q["outcome"] for q in questions] == ["abstained"]  # the answer rate counts questions
    assert (pick["log_id"], pick["question"], pick["entry_id"], pick["via"]) == (
        missed.log_id,
        MISSED,
        entry_id,
        "suggestion",
    )
    assert pick["user_hash"] == questions[0]["user_hash"]
    (proposal,) = await AliasStore(bot.store.engine).proposals()
    assert (proposal.wording, proposal.entry_id, proposal.members) == (MISSED, entry_id, 1)
    await bot.close()


async def test_a_proposal_counts_members_not_clicks_and_rewriting_a_batch_changes_nothing(
    db: Database, clock: Clock
) -> None:
    bot = await start(db, clock)
    entry_id = proof_entry(bot)
    for member, wording in [(ALICE, MISSED), (ALICE, MISSED), (BOB, MISSED.upper() + "?!")]:
        missed = await bot.ask(wording, member)
        await bot.pick(entry_id, member, via="correction", log_id=missed.log_id)
    rows = [row for _, row in list(bot.writer._rows)]
    assert await bot.flush(5.0)
    await bot.store.write(rows, await bot.store.salt())  # a batch whose commit was lost

    (proposal,) = await AliasStore(bot.store.engine).proposals()
    assert (proposal.wording, proposal.members) == (MISSED, 2)
    async with bot.store.engine.connect() as conn:
        assert len((await conn.execute(select(picks))).all()) == 3
        assert len((await conn.execute(select(alias_proposers))).all()) == 2
    await bot.close()


async def test_a_pick_without_the_wording_reads_it_from_the_log_and_autocomplete_proposes_nothing(
    db: Database, clock: Clock
) -> None:
    first = await start(db, clock)
    missed = await first.ask(MISSED, ALICE)
    await first.close()
    other = await start(db, clock)  # another worker: the button carried only the log id
    entry_id = proof_entry(other)

    await other.pick(entry_id, ALICE, via="suggestion", log_id=missed.log_id)
    await other.pick(entry_id, BOB, via="autocomplete")

    assert await other.flush(5.0)
    async with other.store.engine.connect() as conn:
        rows = (await conn.execute(select(picks).order_by(picks.c.via))).mappings().all()
    assert [(r["via"], r["question"]) for r in rows] == [
        ("autocomplete", None),
        ("suggestion", MISSED),
    ]
    (proposal,) = await AliasStore(other.store.engine).proposals()
    assert proposal.wording == MISSED and proposal.members == 1
    await other.close()


async def test_an_accepted_alias_is_answered_at_once_on_reload_and_after_a_restart(
    db: Database, clock: Clock
) -> None:
    bot = await start(db, clock)
    entry_id = proof_entry(bot)
    missed = await bot.ask(MISSED, ALICE)
    await bot.pick(entry_id, ALICE, via="suggestion", log_id=missed.log_id)
    assert await bot.flush(5.0)
    aliases = AliasStore(bot.store.engine)
    (proposal,) = await aliases.proposals()

    rejected = await aliases.decide(proposal.id, "rejected", clock.now)
    assert rejected is not None and rejected.status == "rejected"
    assert await bot.reload(fetch=False) is None  # nothing accepted: nothing changes
    accepted = await aliases.decide(proposal.id, "accepted", clock.now + dt.timedelta(hours=1))
    assert accepted is not None and accepted.status == "accepted"
    assert await aliases.proposals() == []
    assert await bot.reload(fetch=False) is not None

    again = await bot.ask(MISSED, BOB)
    assert isinstance(again.result, Answer) and again.result.entry.id == entry_id
    await bot.close()
    restarted = await start(db, clock)
    after = await restarted.ask(MISSED.capitalize() + "?", BOB)
    assert isinstance(after.result, Answer) and after.result.entry.id == entry_id
    assert await aliases.decide(10_000, "accepted", clock.now) is None
    await restarted.close()
