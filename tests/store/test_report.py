"""``qabot report`` figures and renderings from a seeded question log."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.errors import UsageError
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.models import Entry
from bot.report import build_report, group_questions, parse_since, render
from bot.store import LogRecord, Store
from bot.store.schema import question_log
from tests.store.support import REPO

DAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
UNTIL = DAY + dt.timedelta(days=3)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(REPO / "knowledge")


async def seed(store: Store, kb: KnowledgeBase) -> None:
    first, second = kb.entries[0].id, kb.entries[1].id
    seconds = iter(range(100))  # log ids are random: the order of asking is the time's

    async def log(day: int, question: str, entry_id: str | None, latency: float) -> int:
        outcome = "answered" if entry_id else "abstained"
        return await store.log_question(
            LogRecord(
                DAY + dt.timedelta(days=day, seconds=next(seconds)),
                "slack",
                "T1",
                "C1",
                f"u{day}",
                question,
                outcome,
                entry_id,
                0.8 if entry_id else 0.2,
                latency,
            )
        )

    a = await log(0, kb.entries[0].question, first, 10.0)
    b = await log(0, kb.entries[1].question, second, 20.0)
    await log(1, "How do I install Docker?", None, 30.0)
    await log(1, "how do i install docker", None, 40.0)
    await log(2, "How to install docker on Windows?", None, 50.0)
    await log(2, "Is there a refund policy?", None, 60.0)
    await log(-9, "too old to count?", None, 1.0)
    for user, vote in (("h1", "down"), ("h2", "down"), ("h3", "up")):
        await store.vote(b, user, vote, UNTIL)  # type: ignore[arg-type]
    await store.vote(a, "h1", "down", UNTIL)


async def test_report_figures(store: Store, kb: KnowledgeBase) -> None:
    await seed(store, kb)

    report = await build_report(store, kb, DAY - dt.timedelta(days=1), UNTIL, parallel=True)

    assert (report.questions, report.answered) == (6, 2)
    assert report.answer_rate == pytest.approx(1 / 3)
    assert report.median_latency_ms == 35.0
    assert [(d.day.day, d.questions, d.answered) for d in report.per_day] == [
        (22, 0, 0),
        (23, 2, 2),
        (24, 2, 0),
        (25, 2, 0),
        (26, 0, 0),
    ]
    docker = report.unanswered[0]
    assert (docker.question, docker.count) == ("How do I install Docker?", 3)
    assert docker.variants == ("How to install docker on Windows?",)
    assert [(g.question, g.count) for g in report.unanswered[1:]] == [
        ("Is there a refund policy?", 1)
    ]
    assert [(e.entry_id, e.count) for e in report.most_down_voted] == [
        (kb.entries[1].id, 2),
        (kb.entries[0].id, 1),
    ]
    never = {e.id for e in report.never_matched}
    assert kb.entries[0].id not in never and kb.entries[1].id not in never
    assert (len(never), report.never_matched_total) == (10, len(kb.entries) - 2)  # --limit 10
    # The same percentiles from PostgreSQL's percentile_cont and SQLite's histogram.
    assert report.latency_ms == ((0.5, 35.0), (0.9, 55.0), (0.99, 59.5))


async def test_markdown_is_a_q_and_a_section_the_knowledge_loader_reads(
    store: Store, kb: KnowledgeBase, tmp_path: Path
) -> None:
    await seed(store, kb)
    report = await build_report(store, kb, DAY - dt.timedelta(days=1), UNTIL)

    markdown = render(report, "markdown")

    assert markdown.startswith("## Q&A from the community (2026-11-22 to 2026-11-26)")
    assert "### How do I install Docker?\n\nTODO" in markdown
    assert "### Is there a refund policy?\n\nTODO" in markdown
    page = tmp_path / "knowledge" / "webinars" / "09-test.md"
    page.parent.mkdir(parents=True)
    page.write_text("# Webinar 9: Test\n\n- Date: November 26, 2026\n\n" + markdown)
    assert questions(load_knowledge(tmp_path / "knowledge")) == []  # TODO answers are skipped
    question = "### How do I install Docker?\n\n"
    page.write_text(page.read_text().replace(question + "TODO", question + "Use docker.com."))
    (entry,) = questions(load_knowledge(tmp_path / "knowledge"))
    assert entry.question == "How do I install Docker?"


def questions(knowledge: KnowledgeBase) -> list[Entry]:
    """The entries of Q&A headings, without those made from the page's metadata."""
    return [e for e in knowledge.entries if "#about." not in e.id]


async def test_json_and_table_renderings(store: Store, kb: KnowledgeBase) -> None:
    await seed(store, kb)
    report = await build_report(store, kb, DAY - dt.timedelta(days=1), UNTIL)

    data = json.loads(render(report, "json"))
    table = render(report, "table")

    assert data["questions"] == 6 and data["median_latency_ms"] == 35.0
    assert data["latency_ms"] == {"p50": 35.0, "p90": 55.0, "p99": 59.5}
    assert data["unanswered"][0] == {
        "question": "How do I install Docker?",
        "count": 3,
        "variants": ["How to install docker on Windows?"],
    }
    assert data["most_down_voted"][0]["down_votes"] == 2
    assert len(data["per_day"]) == 5
    assert "answered: 2 (33%)" in table and "p50 35.0 ms" in table
    assert "      3  How do I install Docker?  (+1 similar)" in table
    assert f"Entries never matched ({len(kb.entries) - 2})" in table
    assert f"  … and {len(kb.entries) - 12} more" in table


def test_grouping_keeps_different_questions_apart() -> None:
    groups = group_questions(
        [
            "How do I submit homework?",
            "how do i submit my homework",
            "When is the deadline?",
            "",
            "??",
        ]
    )

    assert [(g.question, g.count) for g in groups] == [
        ("How do I submit homework?", 2),
        ("When is the deadline?", 1),
    ]


async def test_a_report_reading_does_not_hold_up_the_bots_writes(store: Store) -> None:
    async with store.engine.connect() as report:
        await report.execution_options(read_only=True)
        assert await report.scalar(select(func.count()).select_from(question_log)) == 0
        # The report's transaction is open; on SQLite it used to hold the write lock.
        record = LogRecord(DAY, "slack", "T1", "C1", "u1", "still logged?", "abstained", None, 0, 1)
        log_id = await asyncio.wait_for(store.log_question(record), 10)
    assert log_id


@pytest.mark.parametrize(
    ("text", "span"),
    [("7d", dt.timedelta(days=7)), ("24h", dt.timedelta(hours=24)), ("2W", dt.timedelta(weeks=2))],
)
def test_since_spans(text: str, span: dt.timedelta) -> None:
    assert parse_since(text) == span


@pytest.mark.parametrize("text", ["", "7", "0d", "3x", "-1d"])
def test_bad_since_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="7d"):
        parse_since(text)
