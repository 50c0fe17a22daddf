"""The matcher cache: an unchanged knowledge starts from the matcher built last time, with the
same answers; a changed entry, another encoder or a damaged file means building again."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path

import numpy as np
import pytest

from bot.knowledge import (
    KnowledgeBase,
    KnowledgeLoader,
    bundled_sources,
    folder_spec,
    load_knowledge,
)
from bot.live_knowledge import LiveKnowledge
from bot.matcher_cache import MatcherCache
from bot.matching import Matcher
from bot.metrics import Metrics
from bot.word_vectors import load_word_vectors
from tests.core.test_encoder_seam import RecordingEncoder

EVAL = Path(__file__).parents[1] / "eval" / "questions.jsonl"


@pytest.fixture(scope="module")
def bundled() -> KnowledgeBase:
    return load_knowledge(bundled_sources())


def _questions() -> list[str]:
    return [json.loads(line)["q"] for line in EVAL.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("meaning", ["word-vectors", "off"])
def test_a_cached_matcher_answers_exactly_as_a_built_one(
    bundled: KnowledgeBase, tmp_path: Path, meaning: str
) -> None:
    encoder = load_word_vectors() if meaning == "word-vectors" else None
    built = Matcher(bundled, 0.45, encoder)
    cache = MatcherCache(tmp_path)
    assert cache.save(built) is not None

    cached = cache.load(bundled, 0.45, encoder)

    assert cached is not None
    for question in _questions():
        assert cached.ask(question) == built.ask(question)
    assert cached.complete("how do I bec") == built.complete("how do I bec")


def test_a_changed_file_or_another_encoder_is_not_served_from_the_cache(tmp_path: Path) -> None:
    folder = tmp_path / "talks"
    folder.mkdir()
    page = folder / "01-a.md"
    page.write_text("# Webinar 1: Talk\n\n## Q&A\n\n### How do I join?\n\nSign up.\n")
    loader = KnowledgeLoader((folder_spec(folder),), data_dir=tmp_path / "data")
    knowledge = loader.load()
    cache = MatcherCache(tmp_path / "matcher")
    cache.save(Matcher(knowledge, 0.45, load_word_vectors()))
    assert cache.load(loader.load(), 0.45, load_word_vectors()) is not None

    assert cache.load(knowledge, 0.45, None) is None
    assert cache.load(knowledge, 0.45, RecordingEncoder(blocking=False)) is None
    page.write_text("# Webinar 1: Talk\n\n## Q&A\n\n### How do I join?\n\nSign up today.\n")
    stat = page.stat()
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    edited = loader.load()
    assert cache.load(edited, 0.45, load_word_vectors()) is None
    assert any("Sign up today." in e.answer for e in edited.entries)  # the edit was read


def test_a_damaged_cache_is_ignored_with_a_warning(
    bundled: KnowledgeBase, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = MatcherCache(tmp_path)
    folder = cache.save(Matcher(bundled, 0.45, load_word_vectors()))
    assert folder is not None
    postings = folder / "index.docs.npy"
    postings.write_bytes(postings.read_bytes()[:100])  # torn

    with caplog.at_level(logging.WARNING, logger="bot.matcher_cache"):
        assert cache.load(bundled, 0.45, load_word_vectors()) is None
    assert "ignoring the unreadable matcher cache" in caplog.text

    cache.save(Matcher(bundled, 0.45, load_word_vectors()))  # built again, and replaced
    assert cache.load(bundled, 0.45, load_word_vectors()) is not None


def test_a_restart_builds_nothing_and_answers_the_same(tmp_path: Path) -> None:
    async def start() -> LiveKnowledge:
        live = LiveKnowledge(
            KnowledgeLoader(bundled_sources()),
            threshold=0.45,
            first=load_word_vectors(),
            target=None,
            metrics=Metrics(),
            matcher_cache=MatcherCache(tmp_path),
        )
        await live.start()
        await live.settled()
        return live

    first = asyncio.run(start())
    built = []
    original = Matcher.__init__

    def counting(self: Matcher, *args: object, **kwargs: object) -> None:
        built.append(1)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Matcher, "__init__", counting)
        second = asyncio.run(start())

    assert built == []
    question = "how do I become an AI engineer?"
    assert second.current.matcher.ask(question) == first.current.matcher.ask(question)
    assert isinstance(second.current.matcher.vectors.passages, np.ndarray)  # type: ignore[union-attr]


async def test_a_reload_is_built_in_another_process_while_questions_are_answered(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "faq"
    folder.mkdir()
    page = "# Webinar {n}: Talk\n\n## Q&A\n\n### {q}\n\n{a}\n"
    (folder / "01-a.md").write_text(page.format(n=1, q="How do I join the course?", a="Sign up."))
    live = LiveKnowledge(
        KnowledgeLoader((folder_spec(folder),), data_dir=tmp_path / "data"),
        threshold=0.45,
        first=load_word_vectors(),
        target=None,
        metrics=Metrics(),
        matcher_cache=MatcherCache(tmp_path / "matcher"),
    )
    await live.start()
    (folder / "02-b.md").write_text(
        page.format(n=2, q="Where is the homework submitted?", a="In the course platform.")
    )
    answered = 0

    async def ask_meanwhile() -> None:
        nonlocal answered
        while not reloading.done():
            live.current.matcher.ask("how do I join the course?")
            answered += 1
            await asyncio.sleep(0.01)

    reloading = asyncio.ensure_future(live.reload("test"))
    await asyncio.gather(reloading, ask_meanwhile())

    assert answered > 1
    result = live.current.matcher.ask("where do I submit my homework?")
    assert result.entry.question == "Where is the homework submitted?"  # type: ignore[union-attr]
    assert list((tmp_path / "matcher").glob("word-vectors-*"))  # written by the child
