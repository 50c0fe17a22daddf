"""Which entries make a weekly tip, and how a source turns tips on or off."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge import load_knowledge, parse_sources, tip_verdict
from bot.models import Entry
from bot.tips import rotation

PROSE = (
    "Start with the problem your users have, not with the model. Write down what a good answer "
    "looks like, collect twenty real examples, and measure before you change anything: most "
    "teams find that retrieval, not the prompt, is what needs work."
)
FAQ_Q = "_questions/{course}/{section}/{file}"


def entry(question: str, answer: str) -> Entry:
    return Entry("s/x#a", question, answer, "Webinar", "https://example.org", "x.md", 1)


@pytest.mark.parametrize(
    ("question", "answer", "verdict"),
    [
        ("How do I pick my first project?", PROSE, None),
        ("ModuleNotFoundError: No module named 'pyspark'", PROSE, "error troubleshooting"),
        ("Docker: permission denied on the socket", PROSE, "error troubleshooting"),
        (
            "Why does my run fail?",
            "Run:\n\n```bash\n" + "pip install x\n" * 30 + "```\n",
            "mostly code",
        ),
        ("Where can I read more?", "See [this guide](https://example.org/guide).", "only links"),
        ("Is it free?", "Yes, it is free for everyone who signs up before the start.", "too short"),
    ],
)
def test_the_rule(question: str, answer: str, verdict: str | None) -> None:
    assert tip_verdict(entry(question, answer)) == verdict


@pytest.fixture(scope="module")
def faq_entries(shared_corpus: Path) -> tuple[Entry, ...]:
    return load_knowledge(shared_corpus / "datatalksclub-faq").entries


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("course", "section", "file", "verdict"),
    [
        # A Terraform JWT error with big code blocks: useful when it happens, not as a tip.
        (
            "data-engineering-zoomcamp",
            "module-1",
            "118_dd3e6999fd_terraform-error-400-bad-request-invalid-jwt-token.md",
            "error troubleshooting",
        ),
        (
            "machine-learning-zoomcamp",
            "module-4",
            "022_ce5f41e600_quick-way-to-plot-precision-recall-curve.md",
            "mostly code",
        ),
        (
            "machine-learning-zoomcamp",
            "module-3",
            "023_6be83091d9_encoding-techniques.md",
            "only links",
        ),
        (
            "mlops-zoomcamp",
            "general",
            "020_7ab6b70d2c_project-is-the-capstone-an-individual-or-team-proj.md",
            "only links",
        ),
    ],
)
def test_real_faq_entries(faq_entries, course, section, file, verdict) -> None:
    path = FAQ_Q.format(course=course, section=section, file=file)
    (found,) = [e for e in faq_entries if e.path == path]
    assert tip_verdict(found) == verdict


def test_real_webinar_answers_make_tips(bundled_knowledge) -> None:
    outdated = bundled_knowledge.get(
        "webinars/01-a-day-of-ai-engineer#is-the-data-scientist-role-outdated"
    )
    assert outdated is not None and tip_verdict(outdated) is None
    tips = bundled_knowledge.tip_entries
    assert outdated in tips
    assert not [e for e in tips if "#about." in e.id]  # "who hosted it?" is no tip
    assert 15 <= len(tips) <= 20


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def two_sources(tmp_path: Path) -> Path:
    write(tmp_path / "talks/01.md", f"# Webinar 1: T\n\n## Q&A\n\n### First project?\n\n{PROSE}\n")
    write(tmp_path / "faq/c/s/001.md", f"---\nid: f1\nquestion: How to start?\n---\n\n{PROSE}\n")
    return tmp_path


def test_webinar_sources_give_tips_and_faq_sources_do_not(two_sources: Path) -> None:
    kb = load_knowledge(parse_sources(f"{two_sources / 'talks'}, {two_sources / 'faq'}"))
    assert [e.id for e in rotation(kb, "slack", "C1")] == ["talks/01#first-project"]


def test_a_source_switches_tips_on_or_off(two_sources: Path) -> None:
    kb = load_knowledge(
        parse_sources(f"{two_sources / 'talks'};tips=off, {two_sources / 'faq'};tips=on")
    )
    assert [e.id for e in rotation(kb, "slack", "C1")] == ["faq/c/s/001#f1"]


def test_tips_txt_pins_entries_whatever_the_rule_says(two_sources: Path) -> None:
    write(two_sources / "faq/tips.txt", "# pinned\nc/s/001#f1\n")
    kb = load_knowledge(parse_sources(f"{two_sources / 'talks'}, {two_sources / 'faq'}"))
    assert [e.id for e in rotation(kb, "slack", "C1")] == [
        "faq/c/s/001#f1",
        "talks/01#first-project",
    ]
