"""Cleaning chat messages and building heading anchors."""

from __future__ import annotations

import pytest

from bot.text import (
    clean_question,
    content_words,
    fold,
    github_slug,
    looks_foreign,
    name_like_words,
)


@pytest.mark.parametrize(
    ("message", "question"),
    [
        ("<@U0123ABC> how do I become an AI engineer?", "how do I become an AI engineer?"),
        ("<@!123456789> <@&42> what tools?", "what tools?"),
        ("<@U0123ABC|jane doe> is NLP legacy?", "is NLP legacy?"),
        ("hey bot, quick question: is data science dead? thanks!", "is data science dead?"),
        ("Hi everyone! <#C1|general> which vector db? thx", "which vector db?"),
        ("@everyone @here is NLP legacy", "is NLP legacy"),
        ("Hello there, thank you", ""),
        ("thanks, that was helpful!", ""),
        ("Thank you so much for the webinars 🙏", ""),
        ("thanks! which eval tool do you recommend?", "which eval tool do you recommend?"),
        ("   ", ""),
    ],
)
def test_clean_question_strips_mentions_and_chatter(message: str, question: str) -> None:
    assert clean_question(message) == question


def test_folding_normalises_case_accents_and_width() -> None:
    assert fold("Café ÉVALUATION") == "cafe evaluation"
    assert content_words("Ｆｕｌｌ-width ＲＡＧ") == ["full", "width", "rag"]


def test_content_words_drop_stop_words_and_split_apostrophes() -> None:
    assert content_words("What's the best way I don't know to evaluate LLMs?") == [
        "best",
        "way",
        "evaluate",
        "llms",
    ]


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("How can a data engineer transition?", "how-can-a-data-engineer-transition"),
        ('What "proof of work" makes a candidate?', "what-proof-of-work-makes-a-candidate"),
        ("Data Engineering vs AI - which?", "data-engineering-vs-ai---which"),
        ("Docker/Kubernetes & CI_CD", "dockerkubernetes--ci_cd"),
        ("Über Größe", "über-größe"),
    ],
)
def test_github_slug(heading: str, slug: str) -> None:
    assert github_slug(heading) == slug


@pytest.mark.parametrize(
    ("message", "foreign"),
    [
        ("Comment installer Docker sur Windows ?", True),
        ("Hallo, wie kann ich mich für den Kurs anmelden?", True),
        ("¿Hay subtítulos en español para los videos?", True),
        ("Как установить докер?", True),
        ("how do I install docker on windows", False),
        ("DE vs AI eng which is more stable", False),
        ("la la land", False),
    ],
)
def test_looks_foreign(message: str, foreign: bool) -> None:
    assert looks_foreign(message) is foreign


@pytest.mark.parametrize(
    ("message", "names"),
    [
        ("What salary can I expect as an AI engineer in Berlin?", ["Berlin"]),
        ("how much memory to run Qwen3 locally?", ["Qwen3"]),
        ("I use Claude Code. Does it cheat?", ["Claude", "Code"]),
        ("How do I become an AI engineer?", []),
    ],
)
def test_name_like_words(message: str, names: list[str]) -> None:
    assert name_like_words(message) == names
