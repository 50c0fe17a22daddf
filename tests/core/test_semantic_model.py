"""The embeddings extra with a real sentence-transformers model, on the bundled evaluation set.

Needs ``pip install -e '.[embeddings]'`` and TEST_EMBEDDING_MODEL (a model name or folder).
Without them these tests are skipped with the reason; QABOT_REQUIRE_EMBEDDINGS=1 (CI's
embeddings step) makes that a failure instead.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

from bot.evaluation import evaluate, read_cases
from bot.matching import Matcher
from bot.metrics import Metrics
from bot.models import Answer, AskContext
from bot.semantic import open_encoder
from bot.service import QABot
from bot.settings import load_core_settings

EVAL = Path(__file__).resolve().parents[1] / "eval"
pytestmark = pytest.mark.embeddings


@pytest.fixture(name="model", scope="module")
def _model() -> str:
    model = os.environ.get("TEST_EMBEDDING_MODEL", "")
    reason = None
    if importlib.util.find_spec("sentence_transformers") is None:
        reason = "the embeddings extra is not installed"
    elif not model:
        reason = "TEST_EMBEDDING_MODEL is not set"
    if reason and os.environ.get("QABOT_REQUIRE_EMBEDDINGS") == "1":
        pytest.fail(f"{reason} (QABOT_REQUIRE_EMBEDDINGS=1: these tests must run)")
    if reason:
        pytest.skip(reason)
    return model


@pytest.fixture(name="matcher", scope="module")
def _matcher(model, bundled_knowledge, tmp_path_factory) -> Matcher:
    encoder = open_encoder(model, tmp_path_factory.mktemp("embeddings"))
    return Matcher(bundled_knowledge, encoder=encoder)


def test_model_meets_the_embedding_floors_on_the_bundled_set(matcher) -> None:
    floors = json.loads((EVAL / "floors-embeddings.json").read_text())
    report = evaluate(matcher, read_cases(EVAL / "questions.jsonl")).as_dict()

    assert report["hit@1"] >= floors["hit@1"], report
    assert report["balanced_accuracy"] >= floors["balanced_accuracy"], report


def test_model_answers_a_paraphrase_with_no_shared_words(matcher) -> None:
    result = matcher.ask("tips for students trying to break into AI engineering?")

    assert isinstance(result, Answer), result
    anchor = "#what-should-a-recent-or-new-grad-focus-on-to-break-into-this-role"
    assert result.entry.id.endswith(anchor)


@pytest.mark.parametrize(
    "question",
    ["hey all, just joined 👋", "How much does the course cost?", "what salary can I expect?"],
)
def test_model_refuses_small_talk_and_logistics(matcher, question) -> None:
    assert matcher.ask(question).score < matcher.threshold


def test_cache_makes_the_second_start_skip_encoding(model, bundled_knowledge, tmp_path) -> None:
    first = open_encoder(model, tmp_path)
    assert first is not None
    Matcher(bundled_knowledge, encoder=first)
    assert first.path.is_file()

    written = first.path.stat().st_mtime_ns
    Matcher(bundled_knowledge, encoder=open_encoder(model, tmp_path))
    assert first.path.stat().st_mtime_ns == written  # nothing new was encoded, nothing saved


async def test_the_bot_uses_embedding_model_from_the_environment(model, tmp_path) -> None:
    settings = load_core_settings({"EMBEDDING_MODEL": model, "DATA_DIR": str(tmp_path)})
    bot = await QABot.start(settings, metrics=Metrics())
    try:
        asked = await bot.ask(
            "tips for students trying to break into AI engineering?", AskContext("cli")
        )
    finally:
        await bot.close()

    assert isinstance(asked.result, Answer)
    assert asked.result.entry.id.endswith(
        "#what-should-a-recent-or-new-grad-focus-on-to-break-into-this-role"
    )
    assert list((tmp_path / "embeddings").glob("*.npz"))  # the cache lives under DATA_DIR
