"""Two workers sharing DATA_DIR share a git source's copy: each still sees every change."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeLoader, parse_sources
from tests.support.living_knowledge import Remote, page

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def ids(loader: KnowledgeLoader) -> set[str]:
    return {e.id for e in loader.load().entries if "#about." not in e.id}


def test_a_commit_another_worker_checked_out_is_still_a_change(tmp_path: Path) -> None:
    remote = Remote(tmp_path / "remote")
    remote.push("talks/01-first.md", page(1, "First", ("First?", "Yes.")))
    slack, discord = (
        KnowledgeLoader(parse_sources(remote.url), data_dir=tmp_path / "data") for _ in range(2)
    )
    assert ids(slack) == ids(discord) == {"course-notes/talks/01-first#first"}

    remote.push("talks/02-second.md", page(2, "Second", ("Second?", "Yes.")))
    assert slack.refresh() is True  # moves the shared copy
    assert discord.refresh() is True  # the copy moved, but not what this one answers from

    assert "course-notes/talks/02-second#second" in ids(discord)
    assert discord.refresh() is False and slack.refresh() is False


def test_workers_fetching_at_once_both_succeed(tmp_path: Path) -> None:
    remote = Remote(tmp_path / "remote")
    remote.push("talks/01-first.md", page(1, "First", ("First?", "Yes.")))
    loaders = [
        KnowledgeLoader(parse_sources(remote.url), data_dir=tmp_path / "data") for _ in range(4)
    ]
    for loader in loaders:
        loader.load()
    remote.push("talks/02-second.md", page(2, "Second", ("Second?", "Yes.")))

    results: list[bool] = []
    threads = [threading.Thread(target=lambda x=x: results.append(x.refresh())) for x in loaders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [True] * 4  # none failed on git's lock files
    assert all(x.refresh_states["course-notes"].failures == 0 for x in loaders)
    assert all("course-notes/talks/02-second#second" in ids(x) for x in loaders)
