"""Bad data is not an outage: values are cleaned at the store's edge, a refused row is dropped."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.errors import StoreError
from bot.knowledge import folder_spec
from bot.metrics import Metrics
from bot.models import Answer, AskContext
from bot.report import build_report
from bot.schedule import parse_weekly_slot
from bot.service import QABot
from bot.settings import TipChannel
from bot.store import QuestionRow, Store, TipLedger, new_log_id, stored_entry_id
from bot.store.clean import key, text
from bot.store.errors import reported_store_errors
from bot.store.schema import question_log
from bot.store.writer import LogWriter
from bot.tips import TipScheduler
from tests.store.support import Clock, Database, Knowledge, entry

CTX = AskContext("slack", workspace="T1", channel="C1", user="U1")
LONG_HEADING = "How do I " + "really " * 66 + "deploy?"  # 478 characters, as `qabot check` passes


@pytest.fixture
def long_knowledge(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge" / "webinars"
    folder.mkdir(parents=True)
    (folder / "01-long.md").write_text(
        "# Webinar 1: Long\n\n- Date: May 5, 2026\n\n## Q&A\n\n"
        f"### {LONG_HEADING}\n\nWith care.\n\n### How do I submit homework?\n\nOnline.\n"
    )
    return tmp_path / "knowledge"


def test_unstorable_characters_are_removed_and_long_ids_keep_a_stable_hash() -> None:
    assert text("a\x00b\ud800c", 10) == "abc" and text("x" * 30, 10) == "x" * 10
    assert key("short#id", 300) == "short#id"
    long_id = "webinars/01#" + "a" * 500
    stored = key(long_id, 300)
    assert len(stored) == 300 and stored == key(long_id, 300)
    assert stored.startswith("webinars/01#aaa") and stored[-17] == "~"
    assert key(long_id + "b", 300) != stored
    assert key("id\x00", 300) != key("id", 300)  # a cleaned id never collides with another


async def test_a_long_entry_id_and_a_nul_in_the_question_are_logged(
    db: Database, clock: Clock, long_knowledge: Path
) -> None:
    settings = dataclasses.replace(db.settings(), knowledge_sources=(folder_spec(long_knowledge),))
    bot = await QABot.start(settings, clock=clock, store=db.store(), metrics=Metrics())
    assert len(bot.knowledge.entries[0].id) > 476

    long = await bot.ask(LONG_HEADING, CTX)
    nul = await bot.ask("How do I submit\x00 homework?", CTX)
    assert isinstance(long.result, Answer) and long.result.entry == bot.knowledge.entries[0]
    assert await bot.flush()

    async with bot.store.engine.connect() as conn:
        rows = dict((await conn.execute(select(question_log.c.id, question_log.c.entry_id))).all())
        question = await conn.scalar(
            select(question_log.c.question).where(question_log.c.id == nul.log_id)
        )
    assert rows[long.log_id] == stored_entry_id(long.result.entry.id)
    assert question == "How do I submit homework?"
    assert bot.metrics.registry.get_sample_value("qabot_errors_total", {"kind": "db_data"}) is None
    report = await build_report(bot.store, bot.knowledge, clock.now, clock.now.replace(day=28))
    assert long.result.entry not in report.never_matched  # the report maps stored ids back
    await bot.close()


async def test_tips_with_a_long_entry_id_are_posted_once_each(store: Store, clock: Clock) -> None:
    long = dataclasses.replace(entry(1), id="webinars/01-test#" + "q" * 480)
    knowledge = Knowledge((long, entry(2)), curated_tips=(long.id,))
    posted = []

    async def post(tip: object) -> str:
        posted.append(tip)
        return "ts"

    for _ in range(2):
        scheduler = TipScheduler(
            source=lambda channel: knowledge,
            ledger=TipLedger(store.engine),
            platform="slack",
            channels=(TipChannel("C1", parse_weekly_slot("mon 00:00 UTC")),),
            clock=clock,
            metrics=Metrics(),
        )
        await scheduler.run_due(post)
        clock.advance(days=7)

    assert [t.entry.id for t in posted] == [long.id, entry(2).id]  # type: ignore[attr-defined]


async def test_a_row_the_database_refuses_is_dropped_alone_without_pausing(
    store: Store, clock: Clock
) -> None:
    metrics = Metrics()
    writer = LogWriter(store, metrics, salt="s", ready=True)
    writer.start()

    def row(outcome: object = "answered", question: object = "q?") -> QuestionRow:
        return QuestionRow(new_log_id(), clock.now, "slack", None, None, "U1", question,
                           outcome, None, 0.5, 1.0)  # type: ignore[arg-type]  # fmt: skip

    good = [row(), row()]
    for queued in (good[0], row(outcome=None), row(question=None), good[1]):
        assert writer.put(queued)
    assert await writer.flush(5)
    later = row()
    writer.put(later)
    assert await writer.flush(1)

    async with store.engine.connect() as conn:
        ids = set((await conn.execute(select(question_log.c.id))).scalars().all())
    assert ids == {good[0].log_id, good[1].log_id, later.log_id}
    assert metrics.registry.get_sample_value("qabot_errors_total", {"kind": "db_data"}) == 2
    assert writer.health().database == "ok"
    await writer.close()


async def test_a_data_error_is_not_reported_as_an_unreachable_database(store: Store) -> None:
    with pytest.raises(StoreError) as caught, reported_store_errors():
        async with store.engine.begin() as conn:
            await conn.execute(question_log.insert().values(id=1))  # NOT NULL columns missing

    assert "refused a value" in str(caught.value)
    assert "DATABASE_URL" not in str(caught.value)
