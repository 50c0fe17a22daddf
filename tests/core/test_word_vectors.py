"""The bundled word vectors (EMBEDDING_MODEL=word-vectors): what they change for a member."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot.cli import main
from bot.errors import ConfigError
from bot.knowledge import KnowledgeBase
from bot.matching import Matcher
from bot.models import Answer, NoAnswer
from bot.semantic import open_encoder
from bot.word_vectors import WordVectors, load_word_vectors

W1 = "webinars/01-a-day-of-ai-engineer#"
PROOF_OF_WORK = (
    W1
    + "what-proof-of-work-makes-a-candidate-stand-out-as-a-legitimate-ai-engineer-rather-than-a-hobbyist"
)


@pytest.fixture(scope="module")
def vectors() -> WordVectors:
    return load_word_vectors()


def _similarity(vectors: WordVectors, a: str, b: str) -> float:
    first, second = vectors.encode([a, b])
    return float(first @ second)


def test_embedding_model_word_vectors_names_them_and_off_turns_meaning_off(tmp_path) -> None:
    for named in ("word-vectors", " Word-Vectors "):
        assert isinstance(open_encoder(named, tmp_path), WordVectors)
    for off in ("off", "OFF", " none "):
        assert open_encoder(off, tmp_path) is None


def test_words_of_like_meaning_are_close_without_sharing_letters(vectors) -> None:
    for word, alike, unlike in [
        ("salary", "compensation", "pizza"),
        ("hobbyist", "amateur", "kubernetes cluster"),
        ("certificate", "diploma", "docker"),
    ]:
        assert _similarity(vectors, word, alike) > _similarity(vectors, word, unlike) + 0.2


def test_texts_become_unit_vectors_and_unknown_words_count_for_nothing(vectors) -> None:
    encoded = vectors.encode(["How do I fine-tune an LLM?", "", "zxqvbn qqqxj", "RAG!!"])

    norms = np.linalg.norm(encoded, axis=1)
    assert norms[0] == pytest.approx(1.0, abs=1e-5)
    assert norms[3] == pytest.approx(1.0, abs=1e-5)
    assert norms[1] == norms[2] == 0.0  # similar to nothing, so it cannot win a match
    assert encoded.dtype == np.float32


def test_a_hyphenated_word_is_read_whole_when_known_and_by_its_parts_otherwise(vectors) -> None:
    whole = vectors.encode(["fine-tuning"])[0]
    assert whole @ vectors.encode(["fine tuning"])[0] < 0.999  # its own vector
    parts, split = vectors.encode(["data-engineering zxqvbn", "data engineering"])
    assert parts @ split == pytest.approx(1.0, abs=1e-5)


def test_a_paraphrase_the_words_alone_miss_is_answered(bundled_knowledge: KnowledgeBase) -> None:
    question = "proof that I am not an amateur?"  # amateur ~ hobbyist

    lexical = Matcher(bundled_knowledge).ask(question)
    with_vectors = Matcher(bundled_knowledge, encoder=load_word_vectors()).ask(question)

    assert isinstance(lexical, NoAnswer)
    assert isinstance(with_vectors, Answer)
    assert with_vectors.entry.id == PROOF_OF_WORK


def test_a_question_that_only_shares_a_word_is_refused(bundled_knowledge: KnowledgeBase) -> None:
    question = "can you recommend a good pizza place?"  # shares "recommend" with an entry

    with_vectors = Matcher(bundled_knowledge, encoder=load_word_vectors()).ask(question)

    assert isinstance(with_vectors, NoAnswer)


def test_a_missing_or_broken_vectors_file_says_how_to_go_on(tmp_path) -> None:
    broken = tmp_path / "word-vectors.npz"
    broken.write_bytes(b"not a zip file")

    for path in (tmp_path / "missing.npz", broken):
        with pytest.raises(ConfigError) as caught:
            WordVectors(path)
        assert str(path) in str(caught.value)
        assert "EMBEDDING_MODEL=off" in str(caught.value)


def test_the_command_line_can_turn_meaning_off(capsys, monkeypatch) -> None:
    question = "how do I show I'm a real engineer and not a hobbyist?"

    assert main(["ask", "--json", question]) == 0
    default = json.loads(capsys.readouterr().out)
    monkeypatch.setenv("EMBEDDING_MODEL", "off")
    assert main(["ask", "--json", question]) == 0
    lexical = json.loads(capsys.readouterr().out)

    assert default["answered"] and default["id"] == PROOF_OF_WORK
    assert not lexical["answered"]
