"""Sentence embeddings: how they change answers, and their cache on disk.

The encoder is the seam: these tests put a small deterministic one there (words folded onto
concepts), so they do not depend on a model's quirks. ``test_semantic_model.py`` runs the
bundled model.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import shutil
import zlib
from collections.abc import Sequence

import numpy as np
import pytest

from bot.cli import main
from bot.confidence import SENTENCE_MODEL
from bot.entry_vectors import document_texts
from bot.knowledge import KnowledgeBase, bundled_knowledge_dir, load_knowledge
from bot.matching import Matcher
from bot.models import Answer, NoAnswer
from bot.off_topic import OFF_TOPIC_EXAMPLES
from bot.semantic import CachedEncoder

W1 = "webinars/01-a-day-of-ai-engineer#"
NEW_GRAD = W1 + "what-should-a-recent-or-new-grad-focus-on-to-break-into-this-role"
# Words that mean the same to a member, as a sentence model would see them.
CONCEPTS = {
    "students": "graduate",
    "student": "graduate",
    "grad": "graduate",
    "graduates": "graduate",
    "tips": "advice",
    "focus": "advice",
    "break": "enter",
    "into": "enter",
    "job": "role",
    "role": "role",
    "engineering": "role",
}
DIMENSIONS = 512


class ConceptEncoder:
    """Bag of concepts hashed into a vector; counts what it is asked to encode."""

    name = "test/concepts"
    identity = "test/concepts-1"
    weights = SENTENCE_MODEL
    blocking = True
    nbytes = 0

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded.extend(texts)
        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                concept = CONCEPTS.get(word, word)
                vectors[row, zlib.crc32(concept.encode()) % DIMENSIONS] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-9)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts)


@pytest.fixture(name="encoder")
def _encoder(tmp_path) -> CachedEncoder:
    return CachedEncoder(ConceptEncoder(), tmp_path / "embeddings")


def test_meaning_answers_a_paraphrase_that_shares_few_words(bundled_knowledge, encoder) -> None:
    question = "tips for students trying to break into AI engineering?"
    assert isinstance(Matcher(bundled_knowledge).ask(question), NoAnswer)

    result = Matcher(bundled_knowledge, encoder=encoder).ask(question)

    assert isinstance(result, Answer), result
    assert result.entry.id == NEW_GRAD
    assert 0.0 <= result.score <= 1.0


@pytest.mark.parametrize(
    "question",
    ["How do I fix a 404 on my kubernetes ingress with nginx?", "what's the weather in Berlin?"],
)
def test_unrelated_questions_are_still_refused(bundled_knowledge, encoder, question) -> None:
    assert isinstance(Matcher(bundled_knowledge, encoder=encoder).ask(question), NoAnswer)


def test_a_question_that_means_an_off_topic_example_is_refused(bundled_knowledge, encoder) -> None:
    # The webinar talks about staffing Trova's team; whether Trova is hiring is another matter.
    question = "is Trova hiring AI engineers?"
    assert isinstance(Matcher(bundled_knowledge).ask(question), Answer)  # words alone

    result = Matcher(bundled_knowledge, encoder=encoder).ask(question)

    assert isinstance(result, NoAnswer), result


def test_an_entry_closer_than_the_off_topic_example_is_answered(
    fixture_knowledge_dir, encoder
) -> None:
    # "How do I get my certificate?" is off-topic for most courses, not for this FAQ.
    knowledge = load_knowledge(fixture_knowledge_dir)

    result = Matcher(knowledge, encoder=encoder).ask("do i need the homework for the certificate?")

    assert isinstance(result, Answer), result
    assert result.entry.id.endswith("_certificate#dd33ee44ff")


def test_the_knowledge_folder_adds_its_own_off_topic_examples(
    bundled_knowledge, encoder, tmp_path
) -> None:
    # Say the course team wants career advice for students asked of people, not the bot.
    question = "tips for students trying to break into AI engineering?"
    folder = tmp_path / "knowledge"
    shutil.copytree(bundled_knowledge_dir(), folder)
    assert isinstance(Matcher(load_knowledge(folder), encoder=encoder).ask(question), Answer)

    listed = "tips for students trying to break into AI engineering"
    (folder / "off-topic.txt").write_text(f"# asked of people, not the bot\n{listed}\n")
    matcher = Matcher(load_knowledge(folder), encoder=encoder)

    assert isinstance(matcher.ask(question), NoAnswer)
    assert isinstance(matcher.ask("How can a data engineer become an AI engineer?"), Answer)


def test_autocomplete_does_not_encode_every_keystroke(bundled_knowledge, encoder) -> None:
    matcher = Matcher(bundled_knowledge, encoder=encoder)
    before = len(encoder.encoder.encoded)  # type: ignore[attr-defined]

    assert matcher.complete("data eng")

    assert len(encoder.encoder.encoded) == before  # type: ignore[attr-defined]


def test_entry_vectors_are_cached_and_only_changed_entries_re_encoded(
    bundled_knowledge, tmp_path
) -> None:
    first = ConceptEncoder()
    Matcher(bundled_knowledge, encoder=CachedEncoder(first, tmp_path))
    # questions, aliases, parts of answers, and the off-topic examples
    assert first.encoded == document_texts(bundled_knowledge.entries, OFF_TOPIC_EXAMPLES)

    restarted = ConceptEncoder()
    Matcher(bundled_knowledge, encoder=CachedEncoder(restarted, tmp_path))
    assert restarted.encoded == []

    entries = list(bundled_knowledge.entries)
    entries[3] = dataclasses.replace(entries[3], answer="A rewritten answer.")
    edited = KnowledgeBase(tuple(entries))
    after_edit = ConceptEncoder()
    Matcher(edited, encoder=CachedEncoder(after_edit, tmp_path))
    assert after_edit.encoded == [f"{entries[3].question}. A rewritten answer."]


def test_a_torn_cache_file_is_rebuilt(bundled_knowledge, encoder, caplog) -> None:
    encoder.path.parent.mkdir(parents=True)
    encoder.path.write_bytes(b"PK\x03\x04 not really a zip")

    with caplog.at_level(logging.WARNING):
        matcher = Matcher(bundled_knowledge, encoder=encoder)

    assert "ignoring unreadable embedding cache" in caplog.text
    assert isinstance(matcher.ask("tips for students to break into AI engineering"), Answer)
    with np.load(encoder.path) as data:  # written afresh
        texts = document_texts(bundled_knowledge.entries, OFF_TOPIC_EXAMPLES)
        assert len(data["keys"]) == len(set(texts))


def test_an_unwritable_cache_still_answers(bundled_knowledge, tmp_path, caplog) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    encoder = CachedEncoder(ConceptEncoder(), blocker / "embeddings")

    with caplog.at_level(logging.WARNING):
        matcher = Matcher(bundled_knowledge, encoder=encoder)

    assert "could not write the embedding cache" in caplog.text
    assert isinstance(matcher.ask("tips for students to break into AI engineering"), Answer)


def test_cli_reports_a_wrong_embedding_model_without_a_traceback(capsys) -> None:
    status = main(["ask", "--embedding-model", "all-MiniLM-L6-v2", "what is rag?"])

    err = capsys.readouterr().err
    assert status != 0
    assert "EMBEDDING_MODEL='all-MiniLM-L6-v2'" in err
    assert "Traceback" not in err
