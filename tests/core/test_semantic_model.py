"""The bundled sentence model (all-MiniLM-L6-v2, int8, ONNX Runtime): always installed, always run.

The model is loaded once a process and the bundled knowledge encoded once for this module, so
these tests take a few seconds.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.confidence import Calibration
from bot.errors import ConfigError
from bot.matching import Matcher
from bot.meaning import MeaningEncoder
from bot.metrics import Metrics
from bot.models import Answer, AskContext
from bot.semantic import CachedEncoder, open_encoder
from bot.sentence_model import (
    MAX_TOKENS,
    SENTENCE_MODEL_DIR,
    SentenceModel,
    load_sentence_model,
)
from bot.service import QABot
from bot.settings import load_core_settings
from bot.word_vectors import WordVectors

PROOF_OF_WORK = "webinars/01-a-day-of-ai-engineer#what-proof-of-work-makes-a-candidate-stand-out-as-a-legitimate-ai-engineer-rather-than-a-hobbyist"
CLI = AskContext("cli")
TEXTS = [
    "ok",
    "How do I get my certificate?",
    "im a data enginer, can i switch to ai engineering without a phd??",
    "What is the most critical non-technical skill for leading AI systems in production? "
    "Communication: explaining to stakeholders what the system can and cannot do, and why.",
]


class Counting:
    """A MeaningEncoder that passes everything on and records the texts it encoded."""

    def __init__(self, encoder: MeaningEncoder, identity: str | None = None) -> None:
        self.inner = encoder
        self.name = encoder.name
        self.identity = identity or encoder.identity
        self.weights: Calibration = encoder.weights
        self.blocking = encoder.blocking
        self.nbytes = encoder.nbytes
        self.encoded: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded.extend(texts)
        return self.inner.encode(texts)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded.extend(texts)
        return self.inner.encode_documents(texts)


@pytest.fixture(name="model", scope="module")
def _model() -> SentenceModel:
    return load_sentence_model()


@pytest.fixture(name="cache_dir", scope="module")
def _cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("embeddings")


@pytest.fixture(name="matcher", scope="module")
def _matcher(model, bundled_knowledge, cache_dir) -> Matcher:
    return Matcher(bundled_knowledge, encoder=CachedEncoder(model, cache_dir))


def test_the_bundled_model_loads_without_pytorch(model) -> None:
    assert model.folder == SENTENCE_MODEL_DIR
    assert model.name == "all-MiniLM-L6-v2-int8"
    assert model.dimensions == 384
    assert model.max_tokens == MAX_TOKENS == 256
    assert model.blocking is True
    assert 20e6 < model.nbytes < 30e6  # int8 weights, and the vocabulary
    assert model.identity.startswith(model.name)


def test_texts_become_unit_vectors(model) -> None:
    vectors = model.encode([*TEXTS, ""])

    assert vectors.shape == (len(TEXTS) + 1, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert model.encode([]).shape == (0, 384)


def test_a_batch_encodes_each_text_as_it_would_alone(model) -> None:
    alone = np.concatenate([model.encode([text]) for text in TEXTS])

    np.testing.assert_allclose(model.encode(TEXTS), alone, atol=1e-4)
    np.testing.assert_allclose(model.encode_documents(TEXTS[::-1]), alone[::-1], atol=1e-4)


def test_a_very_long_text_is_cut_at_max_tokens(model) -> None:
    long = " ".join(f"word{i}" for i in range(2_000))  # far past the model's 512 positions
    longer = long + " and then a completely different ending about cooking pasta" * 50

    first, second = model.encode([long, longer])

    assert np.linalg.norm(first) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(first, second, atol=1e-6)  # what follows the cut is not read


def test_a_paraphrase_with_no_shared_words_is_closest_to_its_meaning(model) -> None:
    question = "honestly scared ai is going to take my job"
    texts = [
        "How should I adapt my career as AI tools change the work developers do?",
        "How do I deploy a Docker container to a Kubernetes cluster?",
        "When is the deadline for submitting the homework?",
        "Which laptop should I buy for machine learning?",
    ]

    similarity = model.encode(texts) @ model.encode([question])[0]

    assert int(np.argmax(similarity)) == 0, similarity
    assert similarity[0] > max(similarity[1:]) + 0.1


def test_the_matcher_answers_a_paraphrase_and_refuses_small_talk(matcher) -> None:
    result = matcher.ask("how do I show I'm a real engineer and not a hobbyist?")

    assert isinstance(result, Answer), result
    assert result.entry.id == PROOF_OF_WORK
    for question in ("hey all, just joined 👋", "How much does the course cost?"):
        assert matcher.ask(question).score < matcher.threshold, question


def test_the_cache_re_encodes_only_changed_texts(model, tmp_path) -> None:
    texts = ["first entry. its answer", "second entry. its answer", "third entry. its answer"]
    first = Counting(model)
    vectors = CachedEncoder(first, tmp_path).encode_documents(texts)
    assert first.encoded == texts
    np.testing.assert_allclose(vectors, model.encode_documents(texts), atol=1e-6)

    restarted = Counting(model)
    cached = CachedEncoder(restarted, tmp_path).encode_documents(texts)
    assert restarted.encoded == []
    np.testing.assert_array_equal(cached, vectors)

    edited = [texts[0], "second entry. a rewritten answer", texts[2]]
    after_edit = Counting(model)
    CachedEncoder(after_edit, tmp_path).encode_documents(edited)
    assert after_edit.encoded == ["second entry. a rewritten answer"]

    other_model = Counting(model, identity=f"{model.name}-another-digest")
    CachedEncoder(other_model, tmp_path).encode_documents(texts)
    assert other_model.encoded == texts  # another model's vectors are not reused


def test_questions_are_not_cached(model, tmp_path) -> None:
    counting = Counting(model)
    encoder = CachedEncoder(counting, tmp_path)

    encoder.encode(["what is rag?"])
    encoder.encode(["what is rag?"])

    assert counting.encoded == ["what is rag?", "what is rag?"]
    assert not encoder.path.exists()


def test_embedding_model_chooses_among_four(model, tmp_path) -> None:
    for default in (None, "", "  "):
        encoder = open_encoder(default, tmp_path)
        assert isinstance(encoder, CachedEncoder)
        assert encoder.encoder is model  # loaded once a process
        assert encoder.blocking and encoder.weights == model.weights
    word_vectors = open_encoder(" Word-Vectors ", tmp_path)
    assert isinstance(word_vectors, WordVectors)
    assert word_vectors.blocking is False  # microseconds: matching stays on the event loop
    for off in ("off", "OFF", " none "):
        assert open_encoder(off, tmp_path) is None

    folder = open_encoder(str(SENTENCE_MODEL_DIR), tmp_path)

    assert isinstance(folder, CachedEncoder)
    assert isinstance(folder.encoder, SentenceModel)
    assert folder.encoder is not model
    assert folder.identity == model.identity  # the same files: the same cache
    assert not list(tmp_path.iterdir())  # nothing encoded, nothing written


@pytest.mark.parametrize("value", ["sentence-transformers/all-MiniLM-L6-v2", "no-such-folder"])
def test_an_unknown_embedding_model_names_the_accepted_values(value, tmp_path) -> None:
    with pytest.raises(ConfigError) as caught:
        open_encoder(value, tmp_path)

    message = str(caught.value)
    assert f"EMBEDDING_MODEL={value!r}" in message
    assert "model.onnx" in message and "tokenizer.json" in message
    assert "'word-vectors'" in message and "'off'" in message


def test_a_broken_model_folder_says_how_to_go_on(tmp_path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    shutil.copy(SENTENCE_MODEL_DIR / "tokenizer.json", folder)
    (folder / "model.onnx").write_bytes(b"not an onnx model")

    for broken in (folder, tmp_path / "missing"):
        with pytest.raises(ConfigError) as caught:
            SentenceModel(broken)
        assert str(broken) in str(caught.value)
        assert "EMBEDDING_MODEL=word-vectors" in str(caught.value)
    with pytest.raises(ConfigError, match="cannot be loaded"):
        open_encoder(str(folder), tmp_path)


async def test_the_bot_uses_the_bundled_model_and_its_cache_under_data_dir(
    matcher, cache_dir, tmp_path, caplog
) -> None:
    # The module's matcher filled the cache: copied, the bot sharpens without encoding.
    shutil.copytree(cache_dir, tmp_path / "embeddings")
    settings = load_core_settings({"DATA_DIR": str(tmp_path)})
    caplog.set_level(logging.INFO, logger="bot.live_knowledge")
    bot = await QABot.start(settings, metrics=Metrics())
    try:
        for _ in range(300):  # answers go out meanwhile, with the word vectors
            if bot.live.sharpened:
                break
            await asyncio.sleep(0.05)
        asked = await bot.ask("how do I show I'm a real engineer and not a hobbyist?", CLI)
    finally:
        await bot.close()

    assert bot.live.current.mode == "all-MiniLM-L6-v2-int8"
    assert isinstance(asked.result, Answer)
    assert asked.result.entry.id == PROOF_OF_WORK
    assert "encoding" not in caplog.text  # every entry vector came from the cache
    assert [p.name for p in (tmp_path / "embeddings").iterdir()] == [
        p.name for p in cache_dir.iterdir()
    ]
