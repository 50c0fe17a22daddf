"""The encoder seam: callers ask an encoder whether it blocks and what it holds, never its class."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.confidence import Calibration
from bot.live_knowledge import Matching
from bot.matching import Matcher
from bot.models import AskContext
from bot.service import QABot
from bot.settings import load_core_settings
from bot.word_vectors import load_word_vectors


class RecordingEncoder:
    """The bundled word vectors, claiming to block or not, noting where questions are encoded."""

    def __init__(self, blocking: bool) -> None:
        self.inner = load_word_vectors()
        self.name = "recording"
        self.identity = "recording-1"
        self.blocking = blocking
        self.nbytes = self.inner.nbytes
        self.threads: list[int] = []

    @property
    def weights(self) -> Calibration:
        return self.inner.weights

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.threads.append(threading.get_ident())
        return self.inner.encode(texts)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_documents(texts)


def test_the_bundled_word_vectors_do_not_block_and_say_what_they_hold() -> None:
    vectors = load_word_vectors()
    assert vectors.blocking is False and vectors.nbytes > 1_000_000


@pytest.mark.parametrize("blocking", [False, True])
async def test_questions_are_matched_off_the_event_loop(tmp_path: Path, blocking: bool) -> None:
    """Even a table lookup per word takes milliseconds at 10,000 entries: time the event loop
    keeps for acknowledging events, so every encoder runs in the matching thread."""
    core = load_core_settings({"DATA_DIR": str(tmp_path), "USER_ID_SALT": "s"})
    bot = await QABot.start(core)
    try:
        encoder = RecordingEncoder(blocking)
        matcher = Matcher(bot.knowledge, core.threshold, encoder)
        await bot.live.swap(Matching(bot.knowledge, matcher), reason="test")
        await bot.ask("how do I become an AI engineer?", AskContext("test"))
        assert encoder.threads and threading.get_ident() not in encoder.threads
    finally:
        await bot.close()
