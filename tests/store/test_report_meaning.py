"""The report as the host reads it: gaps grouped by meaning, off-topic apart, drafts to paste,
wrong answers flagged, one source at a time. SQLite and PostgreSQL, the bundled sentence model."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import pytest
import yaml
from sqlalchemy import func, select

from bot.digest import gather_facts
from bot.drafts import drafts_for, faq_file
from bot.errors import UsageError
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.report import Limits, build_report, meaning_clusters, render
from bot.report.grouping import by_meaning
from bot.semantic import CachedEncoder
from bot.sentence_model import load_sentence_model
from bot.store import LogRecord, Store, schema
from bot.word_vectors import load_word_vectors
from tests.store.support import REPO

DAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
SINCE, UNTIL = DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=2)
FREE = "is the course free?"
COPILOT = "can I use copilot or claude during the interview?"
WEATHER = "What's the weather in Berlin tomorrow"
DOCKER = (
    "How do I install Docker?",
    "how to install docker on windows",
    "docker installation steps?",
)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(REPO / "knowledge")


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> CachedEncoder:
    return CachedEncoder(load_sentence_model(), tmp_path_factory.mktemp("vectors"))


async def ask(
    store: Store,
    questions: Sequence[str],
    *,
    entry_id: str | None = None,
    channel: str = "C1",
    user: str = "u1",
) -> list[int]:
    ids = []
    for n, question in enumerate(questions):
        outcome = "answered" if entry_id else "abstained"
        record = LogRecord(
            DAY + dt.timedelta(minutes=n),
            "slack",
            "T1",
            channel,
            user,
            question,
            outcome,
            entry_id,
            0.8 if entry_id else 0.2,
            12.0,
        )
        ids.append(await store.log_question(record))
    return ids


def test_paraphrases_meet_and_unrelated_questions_do_not(model: CachedEncoder) -> None:
    texts = [
        FREE,
        COPILOT,
        "do I have to pay for the course?",
        "are AI assistants allowed in interviews?",
    ]
    groups = by_meaning(model.encode(texts), 0.7)

    assert [[texts[i] for i in group] for group in groups if len(group) > 1] == [
        [FREE, "do I have to pay for the course?"]
    ]


async def test_gaps_are_grouped_by_meaning_and_off_topic_is_listed_apart(
    store: Store, kb: KnowledgeBase, model: CachedEncoder
) -> None:
    await ask(
        store, [COPILOT, COPILOT, FREE, *DOCKER, DOCKER[0], WEATHER, "will it rain in Berlin?"]
    )

    report = await build_report(store, kb, SINCE, UNTIL, encoder=model)
    markdown = render(report, "markdown")

    docker = report.groups[0]
    assert (docker.question, docker.count) == ("How do I install Docker?", 4)
    assert set(docker.variants) == set(DOCKER[1:])
    together = [{g.question, *g.variants} for g in (*report.groups, *report.off_topic)]
    assert not any(FREE in words and COPILOT in words for words in together)
    assert COPILOT in {g.question for g in report.groups}
    assert FREE in {g.question for g in report.groups}  # course logistics: a gap to fill
    assert WEATHER in {w for g in report.off_topic for w in (g.question, *g.variants)}
    assert report.grouped_by == model.name
    assert "### How do I install Docker?\n\nTODO" in markdown
    assert "### Can I use copilot or claude during the interview?\n\nTODO" in markdown
    assert "### What's the weather" not in markdown  # off-topic: listed, never a TODO
    assert f"asked 1x: {WEATHER}" in markdown
    assert "    - how to install docker on windows" in markdown  # the members' wordings


async def test_the_next_report_reads_the_question_vectors_from_the_database(
    store: Store, kb: KnowledgeBase, model: CachedEncoder
) -> None:
    await ask(store, [*DOCKER, COPILOT])
    first = await build_report(store, kb, SINCE, UNTIL, encoder=model)
    async with store.engine.connect() as conn:
        cached = await conn.scalar(select(func.count()).select_from(schema.embedding_cache))

    again = await build_report(store, kb, SINCE, UNTIL, encoder=model)

    assert cached and cached >= 4  # the wordings (and the off-topic examples)
    assert again.groups == first.groups


async def test_word_vectors_group_when_embedding_model_says_so(
    store: Store, kb: KnowledgeBase
) -> None:
    await ask(store, [*DOCKER, COPILOT])

    report = await build_report(store, kb, SINCE, UNTIL, encoder=load_word_vectors())

    assert report.grouped_by == "word-vectors"
    assert report.groups[0].variants[0] == "how to install docker on windows"
    assert COPILOT in {g.question for g in report.groups}


async def test_an_answer_several_members_down_vote_is_flagged_with_their_questions(
    store: Store, kb: KnowledgeBase
) -> None:
    wrong, fine = kb.entries[0].id, kb.entries[1].id
    asked = ["how do I become an AI engineer from data engineering?", "DE to AI engineer?"]
    wrong_ids = await ask(store, asked * 2, entry_id=wrong)
    fine_ids = await ask(store, ["what backgrounds fit?"], entry_id=fine)
    for n, log_id in enumerate(wrong_ids[:3]):
        await store.vote(log_id, f"member{n}", "down", DAY + dt.timedelta(hours=1))
    await store.vote(fine_ids[0], "member0", "down", DAY + dt.timedelta(hours=1))

    report = await build_report(store, kb, SINCE, UNTIL)
    table = render(report, "table")

    [flag] = report.flagged
    assert (flag.entry_id, flag.members) == (wrong, 3)
    assert set(flag.asked) == set(asked)
    assert [(e.entry_id, e.count) for e in report.most_down_voted] == [(wrong, 3), (fine, 1)]
    assert f"asked: {asked[0]}" in table


async def test_mentor_questions_get_drafts_with_the_askers_wording_first(
    store: Store, kb: KnowledgeBase
) -> None:
    asker = "hey, how do we get access to the GPU cluster for the capstone?"
    async with store.engine.begin() as conn:
        await conn.execute(
            schema.mentor_requests.insert().values(
                log_id=7,
                platform="slack",
                channel="C1",
                user_hash="h1",
                question=asker,
                requested_at=DAY,
            )
        )

    report = await build_report(store, kb, SINCE, UNTIL)
    [draft] = [d for d in drafts_for(report) if d.origin == "mentor"]
    front = yaml.safe_load(faq_file(draft).split("---")[1])

    assert draft.aliases[0] == asker
    assert draft.question == "Hey, how do we get access to the GPU cluster for the capstone?"
    assert front["aliases"][0] == asker and front["question"] == draft.question
    assert f"### {draft.question}\n\nTODO" in render(report, "markdown")


async def test_picks_are_not_questions(store: Store, kb: KnowledgeBase) -> None:
    await ask(store, ["How do I install Docker?"])
    async with store.engine.begin() as conn:
        await conn.execute(
            schema.picks.insert().values(
                id=1,
                picked_at=DAY,
                platform="slack",
                channel="C1",
                user_hash="u1",
                question="How do I install Docker?",
                entry_id=kb.entries[0].id,
                via="suggestion",
            )
        )

    report = await build_report(store, kb, SINCE, UNTIL)

    assert (report.questions, report.answered) == (1, 0)


async def test_one_source_and_the_channels_tied_to_it(store: Store, kb: KnowledgeBase) -> None:
    faq = tuple(
        dataclasses.replace(e, id=f"faq/{e.id}", source="faq", path=f"course/{e.path}")
        for e in kb.entries[:3]
    )
    both = KnowledgeBase(entries=(*kb.entries, *faq), source_names=("knowledge", "faq"))
    await ask(store, ["faq gap?"], channel="C2")
    await ask(store, ["webinar gap?"], channel="C1")
    await ask(store, ["a faq question"], entry_id=faq[0].id, channel="C2")
    tied = {"C2": ("faq",), "C1": ("knowledge",)}

    report = await build_report(
        store, both, SINCE, UNTIL, Limits.all(2), "faq", channel_knowledge=tied
    )
    untied = await build_report(store, both, SINCE, UNTIL, None, "course")

    assert report.channels == ("C2",)
    assert (report.questions, report.answered) == (2, 1)
    assert [g.question for g in report.groups] == ["faq gap?"]
    assert [e.id for e in report.never_matched] == [faq[1].id, faq[2].id]
    assert report.never_matched_total == 2
    assert untied.channels is None and untied.questions == 3  # no channel tied: all of them
    with pytest.raises(UsageError, match="--source 'nope'"):
        await build_report(store, both, SINCE, UNTIL, None, "nope")


async def test_the_weekly_digest_groups_missed_questions_by_meaning_like_the_report(
    store: Store, kb: KnowledgeBase, model: CachedEncoder
) -> None:
    await ask(store, [FREE, "do I have to pay for the course?", COPILOT, WEATHER])

    async def by_meaning(texts: Sequence[str]) -> list[list[int]]:
        return await meaning_clusters(store, kb, texts, model)

    facts = await gather_facts(store.engine, UNTIL, kb.get, by_meaning=by_meaning)

    groups = [set(group.wordings) for group in facts.unanswered]
    assert {FREE, "do I have to pay for the course?"} in groups
    assert {COPILOT} in groups
    assert not any(WEATHER in group for group in groups)  # not about the course: no draft
