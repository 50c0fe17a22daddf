"""Fixtures shared by every test folder: knowledge folders and the optional shared corpus."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeBase, bundled_sources, load_knowledge
from bot.meaning import MeaningEncoder
from bot.semantic import open_encoder

TESTS = Path(__file__).resolve().parent
FIXTURE_KNOWLEDGE = TESTS / "fixtures" / "knowledge"
SHARED_CORPUS = TESTS.parent.parent / "shared" / "corpus"


@pytest.fixture(scope="session", autouse=True)
def _data_dir_outside_the_checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Commands run in tests keep their caches in a temporary DATA_DIR, not ./data."""
    before = os.environ.get("DATA_DIR")
    os.environ["DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    yield
    if before is None:
        os.environ.pop("DATA_DIR", None)
    else:
        os.environ["DATA_DIR"] = before


@pytest.fixture(scope="session")
def fixture_knowledge_dir() -> Path:
    return FIXTURE_KNOWLEDGE


@pytest.fixture(scope="session")
def bundled_knowledge() -> KnowledgeBase:
    return load_knowledge(bundled_sources())


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    """../shared/corpus next to the checkout; tests using it are skipped on a bare clone."""
    if not SHARED_CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {SHARED_CORPUS}")
    return SHARED_CORPUS


@pytest.fixture(scope="session")
def sentence_model(tmp_path_factory: pytest.TempPathFactory) -> MeaningEncoder | None:
    """The bundled sentence model (the default install's matching), cached once per session."""
    return open_encoder(None, tmp_path_factory.mktemp("embeddings"))
