"""A worker stopping just after the sentence model took over still keeps its fresh vectors in
the database, so a restart on a wiped disk does not encode them all again."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.knowledge import KnowledgeLoader, bundled_sources
from bot.live_knowledge import LiveKnowledge, Matching
from bot.matching import texts_to_encode
from bot.metrics import Metrics
from bot.semantic import CachedEncoder
from bot.word_vectors import load_word_vectors
from tests.core.test_encoder_seam import RecordingEncoder


class SlowDatabase:
    """Vectors in the database; writing them takes a moment."""

    def __init__(self) -> None:
        self.kept: dict[str, bytes] = {}

    async def embeddings_get(self, model_key: str, keys: Sequence[str]) -> dict[str, bytes]:
        return {}

    async def embeddings_put(self, model_key: str, items: Mapping[str, bytes]) -> None:
        await asyncio.sleep(0.3)
        self.kept.update(items)


async def test_vectors_encoded_just_before_a_stop_still_reach_the_database(
    tmp_path: Path,
) -> None:
    database = SlowDatabase()
    live = LiveKnowledge(
        KnowledgeLoader(bundled_sources()),
        threshold=0.45,
        first=load_word_vectors(),
        target=CachedEncoder(RecordingEncoder(blocking=False), tmp_path),
        metrics=Metrics(),
        vector_store=database,
    )
    switched = asyncio.Event()
    swap = live.swap

    async def swap_and_tell(matching: Matching, *, reason: str) -> None:
        await swap(matching, reason=reason)
        if live.sharpened:
            switched.set()

    live.swap = swap_and_tell  # type: ignore[method-assign]
    await live.start()
    await asyncio.wait_for(switched.wait(), 30)

    await live.close()  # SIGTERM, a moment after the switch

    target = live.target
    assert target is not None
    encoded = {target.key(text) for text in texts_to_encode(live.current.knowledge)}
    assert set(database.kept) == encoded
