"""Ranking member questions against the bundled webinar, and deciding when to abstain."""

from __future__ import annotations

import pytest

from bot.matching import Matcher
from bot.models import Answer, NoAnswer, NoAnswerReason

W1 = "webinars/01-a-day-of-ai-engineer#"


@pytest.fixture(name="matcher", scope="module")
def _matcher(bundled_knowledge):
    return Matcher(bundled_knowledge)


@pytest.mark.parametrize(
    ("question", "anchor"),
    [
        (
            "How can a data engineer transition to become an AI engineer?",
            "how-can-a-data-engineer-transition-to-become-an-ai-engineer",
        ),
        ("DE to AI engineer?", "how-can-a-data-engineer-transition-to-become-an-ai-engineer"),
        (
            "<@U123> hey bot, which tools do you recommend for evals? thanks",
            "what-practical-tools-do-you-recommend-for-evaluation",
        ),
        (
            "is clasic NLP dead now that we have LLMs",
            "is-traditional-nlpml-engineering-now-effectively-legacy-tech",
        ),
        ("DS roles outdated?", "is-the-data-scientist-role-outdated"),
        (
            "trova team setup?",
            "if-you-were-launching-trova---what-would-your-engineering-team-look-like",
        ),
        (
            "Is evidently good for evaluating llm apps?",
            "what-practical-tools-do-you-recommend-for-evaluation",
        ),
        (
            "WHICH BACKGROUNDS TRANSISION BEST INTO AI ENGINEERING",
            "what-backgrounds-make-good-ai-engineers",
        ),
    ],
)
def test_answers_paraphrases_typos_and_chatter(matcher, question, anchor) -> None:
    result = matcher.ask(question)
    assert isinstance(result, Answer), result
    assert result.entry.id == W1 + anchor
    assert 0.0 <= result.score <= 1.0
    assert result.score >= matcher.threshold


@pytest.mark.parametrize(
    "question",
    [
        "How do I fix a 404 on my kubernetes ingress with nginx?",
        "Can I get a refund for the Maven course?",
        "asdkjh qwe zzxcv",
        "Wie kann ich mich für den Kurs anmelden?",
        "¿Dónde está el enlace de zoom?",
    ],
)
def test_out_of_scope_is_refused_with_honest_suggestions(matcher, question) -> None:
    result = matcher.ask(question)
    assert isinstance(result, NoAnswer)
    assert result.reason is NoAnswerReason.LOW_CONFIDENCE
    assert result.score < matcher.threshold
    assert len(result.suggestions) <= 3


@pytest.mark.parametrize("message", ["", "   ", "<@U123>", "hi", "thanks!", "@everyone"])
def test_no_question_at_all(matcher, message) -> None:
    result = matcher.ask(message)
    assert isinstance(result, NoAnswer)
    assert result.reason is NoAnswerReason.EMPTY
    assert result.suggestions == ()


def test_answer_carries_runners_up_and_top_five(matcher) -> None:
    result = matcher.ask("what should a new grad focus on?")
    assert isinstance(result, Answer)
    assert len(result.runners_up) <= 3
    assert result.entry.id not in {c.entry.id for c in result.runners_up}
    assert result.candidates[0].entry.id == result.entry.id
    assert len(result.candidates) == 5
    scores = [c.score for c in result.candidates]
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_threshold_decides(bundled_knowledge) -> None:
    question = "is data science dead"
    assert isinstance(Matcher(bundled_knowledge, threshold=0.0).ask(question), Answer)
    assert isinstance(Matcher(bundled_knowledge, threshold=1.0).ask(question), NoAnswer)


def test_huge_message_is_cut_not_fatal(matcher) -> None:
    result = matcher.ask("evaluation tools " * 20_000)
    assert isinstance(result, Answer | NoAnswer)


def test_answer_entry_is_the_chosen_entry(matcher) -> None:
    chosen = W1 + "is-the-data-scientist-role-outdated"
    answer = matcher.answer_entry(chosen)
    assert answer is not None
    assert answer.entry.id == chosen and answer.score == 1.0
    assert chosen not in {c.entry.id for c in answer.runners_up}
    assert matcher.answer_entry("webinars/nope#missing") is None


def test_complete_suggests_while_typing(matcher) -> None:
    choices = matcher.complete("how do i eval", limit=25)
    assert 0 < len(choices) <= 25
    assert choices[0].id == W1 + "what-practical-tools-do-you-recommend-for-evaluation"
    assert len(matcher.complete("", limit=25)) == 23  # 20 questions, 3 about the webinar
    assert len(matcher.complete("", limit=5)) == 5
    assert (
        matcher.complete("frontend", limit=3)[0].id
        == W1 + "how-can-frontend-engineers-transition-into-ai-engineering"
    )


def test_a_name_no_entry_mentions_lowers_confidence(matcher) -> None:
    """Near misses about something the knowledge never mentions are refused."""
    plain = matcher.ask("What salary can an AI engineer expect?")
    named = matcher.ask("What salary can an AI engineer expect in Berlin?")
    assert named.score < plain.score
    assert isinstance(named, NoAnswer)


def test_rankings_do_not_depend_on_where_the_knowledge_is_installed(tmp_path) -> None:
    """Link targets carry the install path and KNOWLEDGE_BASE_URL; only link text is matched."""
    import json
    import shutil
    from pathlib import Path

    from bot.knowledge import bundled_knowledge_dir, load_knowledge
    from bot.word_vectors import load_word_vectors

    copies = []
    for folder in ("x-review-resume", "plain"):
        shutil.copytree(bundled_knowledge_dir() / "webinars", tmp_path / folder / "webinars")
        copies.append(load_knowledge(tmp_path / folder / "webinars"))
    copies.append(
        load_knowledge(
            bundled_knowledge_dir() / "webinars", base_url="https://example.org/review/resume"
        )
    )
    eval_file = Path(__file__).resolve().parents[1] / "eval" / "questions.jsonl"
    questions = [json.loads(line)["q"] for line in eval_file.read_text().splitlines()]
    questions += ["Can you review my resume?", "what salary can I expect?"]
    for encoder in (None, load_word_vectors()):
        matchers = [Matcher(knowledge, encoder=encoder) for knowledge in copies]
        for question in questions:
            rankings = {
                tuple((c.entry.id, c.score) for c in m.ask(question).candidates) for m in matchers
            }
            assert len(rankings) == 1, question
