"""Messages as members really write them, matched by the default install (the sentence model).

The knowledge is a small FAQ of three courses written for these tests: the same certificate
question in each course, an entry that quotes an error, a docker entry, a pandas entry.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.knowledge import load_knowledge
from bot.matching import SUGGESTION_FLOOR, Matcher
from bot.meaning import MeaningEncoder
from bot.models import Answer, NoAnswer

MEMBERS = Path(__file__).resolve().parents[1] / "fixtures" / "members"
PYSPARK = "members/data-course/module-1/001_b1b1b1b1b1_pyspark#b1b1b1b1b1"
PGADMIN = "members/data-course/module-2/001_c1c1c1c1c1_pgadmin#c1c1c1c1c1"
CERTIFICATES = {
    "members/data-course/general/003_a3a3a3a3a3_certificate#a3a3a3a3a3",
    "members/llm-course/general/001_d1d1d1d1d1_certificate#d1d1d1d1d1",
    "members/ml-course/general/001_f1f1f1f1f1_certificate#f1f1f1f1f1",
}
GENERAL = {
    "members/data-course/general/001_a1a1a1a1a1_hours#a1a1a1a1a1",
    "members/data-course/general/002_a2a2a2a2a2_deadline#a2a2a2a2a2",
    *CERTIFICATES,
}
TRACEBACK = """hey all, running my notebook I get
```
Traceback (most recent call last):
  File "/home/me/hw3.ipynb", line 2, in <module>
    from pyspark.sql import SparkSession
ModuleNotFoundError: No module named 'pyspark'
```
any idea? I did pip install in my terminal"""
COMPOSE = """my docker-compose:
```yaml
services:
  pgdatabase:
    image: postgres:13
  pgadmin:
    image: dpage/pgadmin4
```
why can't pgadmin connect to postgres?"""
MESSAGES = [
    TRACEBACK,
    COMPOSE,
    "hi! how many hours a week does it take? can the deadline be extended? and is there a "
    "certificate?",
    "can I get a certificate if I do it at my own pace?",
    "how do I install pandas?",
    "What's the weather in Berlin tomorrow?",
]


@pytest.fixture(name="matcher", scope="module")
def _matcher(sentence_model: MeaningEncoder) -> Matcher:
    return Matcher(load_knowledge(MEMBERS), encoder=sentence_model)


def test_a_pasted_traceback_finds_the_entry_that_quotes_its_error(matcher: Matcher) -> None:
    result = matcher.ask(TRACEBACK)
    assert isinstance(result, Answer) and result.entry.id == PYSPARK


def test_a_pasted_config_does_not_count_as_words_the_entry_must_cover(matcher: Matcher) -> None:
    result = matcher.ask(COMPOSE)
    assert isinstance(result, Answer) and result.entry.id == PGADMIN


def test_each_question_of_a_message_is_judged_on_its_own(matcher: Matcher) -> None:
    result = matcher.ask(MESSAGES[2])
    assert isinstance(result, Answer) and result.entry.id in GENERAL


def test_the_same_question_in_three_courses_is_answered_not_refused(matcher: Matcher) -> None:
    result = matcher.ask("can I get a certificate if I do it at my own pace?")
    assert isinstance(result, Answer) and result.entry.id in CERTIFICATES
    # The others stay close behind, where a member can tell them apart by their course.
    others = {c.entry.id for c in result.runners_up}
    assert CERTIFICATES - {result.entry.id} <= others
    assert len({c.entry.source_title for c in result.candidates[:3]}) == 3


def test_one_shared_word_is_not_an_answer_to_a_generic_question(matcher: Matcher) -> None:
    assert isinstance(matcher.ask("how do I install pandas?"), NoAnswer)


def test_an_unrelated_question_gets_no_unrelated_suggestions(matcher: Matcher) -> None:
    result = matcher.ask("What's the weather in Berlin tomorrow?")
    assert isinstance(result, NoAnswer) and result.suggestions == ()


@pytest.mark.parametrize("message", MESSAGES)
def test_scores_are_one_scale_best_first(matcher: Matcher, message: str) -> None:
    result = matcher.ask(message)
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)
    assert result.score == scores[0]
    if isinstance(result, NoAnswer):  # suggestions: the same entries, order and numbers
        plausible = [c for c in result.candidates[:3] if c.score >= SUGGESTION_FLOOR]
        assert list(result.suggestions) == plausible


def test_the_json_score_is_the_first_candidates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--json", "--knowledge", str(MEMBERS), *MESSAGES]) == 0
    for line in capsys.readouterr().out.splitlines():
        record = json.loads(line)
        scores = [c["score"] for c in record["candidates"]]
        assert record["score"] == scores[0] and scores == sorted(scores, reverse=True)
        assert record["id"] == record["candidates"][0]["id"]
