"""Replies decided once: who sees what, the wording, the labels, and what a miss offers."""

from __future__ import annotations

import ast
from pathlib import Path

from bot import replies
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.models import Answer, Candidate, Entry, NoAnswer, NoAnswerReason
from bot.replies import Kind, reply_to

ADAPTERS = Path(__file__).resolve().parents[2] / "adapters"


def knowledge_of(*entries: Entry) -> KnowledgeBase:
    return KnowledgeBase(entries)


def test_an_answer_is_public_shows_its_text_and_keeps_runners_up_behind_a_button(
    bundled_knowledge: KnowledgeBase,
) -> None:
    first, second = bundled_knowledge.entries[:2]
    answer = Answer("q?", first, 0.9, runners_up=(Candidate(second, 0.5),), text="A **summary**.")
    reply = reply_to(answer, 7, bundled_knowledge)
    assert reply.kind is Kind.ANSWER and not reply.private and reply.log_id == 7
    assert reply.text == "A **summary**."  # Answer.text, not the entry's answer
    assert reply.title == first.question and reply.full_answer_url is None
    assert [c.entry_id for c in reply.others] == [second.id] and not reply.choices


def test_a_miss_goes_to_the_asker_with_suggestions_labelled_by_source(
    bundled_knowledge: KnowledgeBase,
) -> None:
    entry = bundled_knowledge.entries[0]
    miss = NoAnswer("is it hard?", NoAnswerReason.LOW_CONFIDENCE, (Candidate(entry, 0.3),))
    reply = reply_to(miss, None, bundled_knowledge)
    assert reply.private and reply.kind is Kind.NOTE
    assert (
        reply.text
        == "I couldn't find a confident answer to “is it hard?”. Did you mean one of these?"
    )
    [choice] = reply.choices
    assert choice.label(100) == f"{entry.question} · Webinar 1: A Day of an AI Engineer"


def test_a_miss_without_suggestions_says_what_the_bot_answers(
    bundled_knowledge: KnowledgeBase, fixture_knowledge_dir: Path
) -> None:
    weather = NoAnswer("weather in Berlin?", NoAnswerReason.LOW_CONFIDENCE)
    reply = reply_to(weather, None, bundled_knowledge)
    assert reply.private and not reply.choices
    assert "I answer questions about Webinar 1: A Day of an AI Engineer." in reply.text
    assert "Try `/ask` with other words" in reply.text
    mixed = load_knowledge(fixture_knowledge_dir)
    text = reply_to(weather, None, mixed).text
    assert "about Demo Zoomcamp and Webinar 7: Shipping LLM Apps." in text


def test_an_empty_question_gets_usage_help_for_the_asker_only() -> None:
    reply = reply_to(NoAnswer("", NoAnswerReason.EMPTY), None, knowledge_of(), bot_name="Bot")
    assert reply.private and "`/ask how do I get the recording?`" in reply.text
    assert "`@Bot where are the slides?`" in reply.text


def test_labels_fit_any_limit_and_keep_the_source_readable() -> None:
    choice = replies.Choice("x#1", "Why " * 60, "Data Engineering Zoomcamp › Module 1: Docker")
    for limit in (75, 80, 100):
        label = choice.label(limit)
        question, source = label.split(" · ")
        assert len(label) <= limit and question.endswith("…")
        assert source.startswith("Data Engineering")


def test_long_answers_show_a_first_part_and_link_to_the_whole(
    bundled_knowledge: KnowledgeBase,
) -> None:
    entry = bundled_knowledge.entries[0]
    long = Answer("q", entry, 0.9, text="A full sentence of the answer. " * 80)
    reply = reply_to(long, 1, bundled_knowledge)
    assert 600 <= len(reply.text) <= 900 and reply.full_answer_url == entry.source_url


def test_the_adapters_write_none_of_the_wording() -> None:
    """Reply wording is written once, in bot/replies.py; adapters only lay it out."""
    phrases = ("try again", "confident answer", "thanks for", "read the full", "did you mean")
    found = []
    for path in ADAPTERS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.lower()
                found += [f"{path.name}: {p}" for p in phrases if p in text]
    assert not found
