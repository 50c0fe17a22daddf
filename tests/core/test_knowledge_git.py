"""A git repository as a source, against a real local bare repository."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.errors import KnowledgeError
from bot.knowledge import KnowledgeLoader, diff_knowledge, parse_sources
from bot.knowledge.git import public_location, web_base

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

PAGE = "# Webinar {n}: Talk {n}\n\n- Date: May {n}, 2026\n\n## Q&A\n\n### {q}\n\n{a}\n"


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Host", "-c", "user.email=host@example.org", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


class Remote:
    """A bare repository and a working copy the course host pushes from."""

    def __init__(self, tmp_path: Path) -> None:
        self.bare = tmp_path / "course-notes.git"
        self.work = tmp_path / "work"
        git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(self.bare))
        git(tmp_path, "init", "--quiet", "--initial-branch=main", str(self.work))
        git(self.work, "remote", "add", "origin", str(self.bare))

    @property
    def url(self) -> str:
        return f"git+{self.bare.as_uri()}"

    def push(self, path: str, text: str) -> str:
        file = self.work / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
        git(self.work, "add", "-A")
        git(self.work, "commit", "--quiet", "-m", f"add {path}")
        git(self.work, "push", "--quiet", "origin", "main")
        return git(self.work, "rev-parse", "HEAD")


@pytest.fixture
def remote(tmp_path: Path) -> Remote:
    remote = Remote(tmp_path)
    remote.push("talks/01-first.md", PAGE.format(n=1, q="Is the first one here?", a="Yes."))
    return remote


def questions(knowledge) -> list[str]:
    return [e.id for e in knowledge.entries if "#about." not in e.id]


def test_a_pushed_file_is_found_by_refresh_and_answered_after_a_reload(remote, tmp_path) -> None:
    loader = KnowledgeLoader(parse_sources(remote.url), data_dir=tmp_path / "data")

    first = loader.load()
    assert questions(first) == ["course-notes/talks/01-first#is-the-first-one-here"]
    assert (tmp_path / "data/knowledge/git/course-notes/talks/01-first.md").is_file()
    state = loader.refresh_states["course-notes"]
    assert state.failures == 0 and state.last_success is not None
    assert state.commit == git(remote.work, "rev-parse", "HEAD")

    assert loader.refresh() is False  # nothing new
    head = remote.push("talks/02-second.md", PAGE.format(n=2, q="And the second?", a="Here."))
    assert loader.refresh() is True
    second = loader.load()

    assert "course-notes/talks/02-second#and-the-second" in questions(second)
    assert state.commit == head
    diff = diff_knowledge(first, second)
    assert str(diff) == "4 added, 0 changed, 0 removed"  # the question and 3 about the webinar


def test_an_unreachable_remote_keeps_the_last_good_copy(remote, tmp_path, caplog) -> None:
    loader = KnowledgeLoader(parse_sources(remote.url), data_dir=tmp_path / "data")
    before = loader.load()
    remote.bare.rename(tmp_path / "moved.git")

    with caplog.at_level(logging.WARNING, logger="bot.knowledge.git"):
        assert loader.refresh() is False
        after = loader.load()

    state = loader.refresh_states["course-notes"]
    assert state.failures == 1 and state.last_error
    assert "keeping the copy of" in caplog.text
    assert after.entries == before.entries
    assert any(
        "could not fetch" in p.message and "answering from the copy fetched before" in p.message
        for p in after.problems
    )


def test_a_bad_ref_is_an_error_that_names_the_source(remote, tmp_path) -> None:
    loader = KnowledgeLoader(parse_sources(f"{remote.url}@no-such-branch"), data_dir=tmp_path)

    knowledge = loader.load()

    assert knowledge.entries == ()
    (problem,) = [p for p in knowledge.problems if p.severity == "error"]
    assert problem.source == "course-notes"
    assert "could not clone" in problem.message and "no-such-branch" in problem.message
    with pytest.raises(KnowledgeError, match="could not clone"):
        KnowledgeLoader(parse_sources(f"{remote.url}@no-such-branch"), data_dir=tmp_path).load(
            strict=True
        )


def test_a_ref_and_a_subfolder_choose_what_is_read(remote, tmp_path) -> None:
    remote.push("README.md", "# course notes\n")
    git(remote.work, "tag", "v1")
    git(remote.work, "push", "--quiet", "origin", "v1")
    remote.push("talks/03-after-the-tag.md", PAGE.format(n=3, q="After the tag?", a="Yes."))
    spec = f"notes={remote.url}@v1#talks;base=https://example.org/notes/blob/v1"

    knowledge = KnowledgeLoader(parse_sources(spec), data_dir=tmp_path / "data").load()

    assert questions(knowledge) == ["notes/talks/01-first#is-the-first-one-here"]
    assert knowledge.entries[0].source_url == (
        "https://example.org/notes/blob/v1/talks/01-first.md#is-the-first-one-here"
    )


def test_links_point_at_the_file_on_github_or_gitlab() -> None:
    assert web_base("https://github.com/DataTalksClub/faq.git", "main") == (
        "https://github.com/DataTalksClub/faq/blob/main"
    )
    assert web_base("https://token@gitlab.com/group/notes", "v2") == (
        "https://gitlab.com/group/notes/-/blob/v2"
    )
    assert web_base("file:///srv/notes.git", "main") is None
    assert public_location("https://user:secret@github.com/o/r.git") == "https://github.com/o/r.git"
