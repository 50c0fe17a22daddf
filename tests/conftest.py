"""Fixtures shared by every test folder: knowledge folders and the optional shared corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge import KnowledgeBase, load_knowledge
from bot.settings import bundled_knowledge_dir

TESTS = Path(__file__).resolve().parent
FIXTURE_KNOWLEDGE = TESTS / "fixtures" / "knowledge"
SHARED_CORPUS = TESTS.parent.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def fixture_knowledge_dir() -> Path:
    return FIXTURE_KNOWLEDGE


@pytest.fixture(scope="session")
def bundled_knowledge() -> KnowledgeBase:
    return load_knowledge(bundled_knowledge_dir())


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    """../shared/corpus next to the checkout; tests using it are skipped on a bare clone."""
    if not SHARED_CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {SHARED_CORPUS}")
    return SHARED_CORPUS
