"""Reloading: changes found by polling, counted by a diff; broken files keep their last good
version; the parse cache lets an unchanged folder start without parsing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.errors import KnowledgeError
from bot.knowledge import KnowledgeLoader, diff_knowledge, parse_sources

PAGE = "# Webinar {n}: Talk\n\n## Q&A\n\n### {q}\n\n{a}\n"
FAQ = "---\nid: {id}\nquestion: {q}\n---\n\n{a}\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def touch_later(path: Path) -> None:
    """Some file systems keep whole seconds: make sure the edit shows in the mtime."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def questions(knowledge) -> dict[str, str]:
    return {e.id: e.answer for e in knowledge.entries if "#about." not in e.id}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "talks"
    write(root / "01-a.md", PAGE.format(n=1, q="First?", a="One."))
    write(root / "02-b.md", PAGE.format(n=2, q="Second?", a="Two."))
    return root


def loader_for(folder: Path, data_dir: Path | None = None) -> KnowledgeLoader:
    return KnowledgeLoader(parse_sources(str(folder)), data_dir=data_dir)


class TestChanges:
    def test_a_saved_file_is_noticed_and_counted(self, folder) -> None:
        loader = loader_for(folder)
        before = loader.load()
        assert loader.changed() is False

        write(folder / "02-b.md", PAGE.format(n=2, q="Second?", a="Two, corrected."))
        touch_later(folder / "02-b.md")
        assert loader.changed() is True
        after = loader.load()

        assert loader.changed() is False
        assert str(diff_knowledge(before, after)) == "0 added, 1 changed, 0 removed"
        assert questions(after)["talks/02-b#second"] == "Two, corrected."

    def test_added_and_removed_files_are_noticed(self, folder) -> None:
        loader = loader_for(folder)
        before = loader.load()
        write(folder / "sub" / "03-c.md", PAGE.format(n=3, q="Third?", a="Three."))
        (folder / "01-a.md").unlink()

        assert loader.changed() is True
        diff = diff_knowledge(before, loader.load())

        assert diff.added == (
            "talks/sub/03-c#third",
            "talks/sub/03-c#about.recording",
            "talks/sub/03-c#about.slides",
        )
        assert "talks/01-a#first" in diff.removed and len(diff.removed) == 3

    def test_a_side_file_change_reparses_the_files_that_read_it(self, tmp_path) -> None:
        root = tmp_path / "faq"
        meta = write(root / "course/_metadata.yaml", "course_name: Old Name\n")
        write(root / "course/general/001.md", FAQ.format(id="a1", q="Deadline?", a="Friday."))
        loader = loader_for(root)
        assert loader.load().entries[0].source_title == "Old Name › general"

        write(meta, "course_name: New Name\n")
        touch_later(meta)
        assert loader.changed() is True

        assert loader.load().entries[0].source_title == "New Name › general"

    def test_polling_costs_little_and_says_how_often(self, folder) -> None:
        loader = loader_for(folder)
        loader.load()
        assert loader.walk_seconds < 0.5
        assert 2.0 <= loader.poll_interval <= 60.0


class TestBrokenFiles:
    def test_a_file_broken_mid_edit_keeps_its_last_good_version(self, folder) -> None:
        loader = loader_for(folder)
        loader.load()
        write(folder / "02-b.md", PAGE.format(n=2, q="Second?", a="```\nhalf-written"))
        write(folder / "01-a.md", PAGE.format(n=1, q="First?", a="One, edited."))
        for name in ("01-a.md", "02-b.md"):
            touch_later(folder / name)

        knowledge = loader.load()

        assert questions(knowledge) == {
            "talks/01-a#first": "One, edited.",
            "talks/02-b#second": "Two.",
        }
        errors = [p.located() for p in knowledge.problems if p.severity == "error"]
        assert errors == [
            "talks/02-b.md:7: error: code block opened with ``` is never closed "
            "(answering from its last good version)"
        ]

        write(folder / "02-b.md", PAGE.format(n=2, q="Second?", a="Two, finished."))
        touch_later(folder / "02-b.md")
        knowledge = loader.load()
        assert questions(knowledge)["talks/02-b#second"] == "Two, finished."
        assert not [p for p in knowledge.problems if p.severity == "error"]

    def test_a_new_broken_file_is_an_error_and_the_rest_loads(self, folder) -> None:
        write(folder / "03-c.md", "no title\n")
        knowledge = loader_for(folder).load()
        assert set(questions(knowledge)) == {"talks/01-a#first", "talks/02-b#second"}
        assert [str(p) for p in knowledge.problems] == [
            "03-c.md:1: error: missing title: start the file with '# Webinar N: Title'"
        ]
        with pytest.raises(KnowledgeError, match=r"^03-c.md:1: missing title"):
            loader_for(folder).load(strict=True)

    def test_a_folder_that_disappears_keeps_the_last_good_knowledge(self, folder, tmp_path) -> None:
        loader = loader_for(folder)
        before = loader.load()
        folder.rename(tmp_path / "elsewhere")

        after = loader.load()

        assert after.entries == before.entries
        assert any("answering from its last good version" in p.message for p in after.problems)

    def test_the_bot_is_never_emptied(self, folder) -> None:
        loader = loader_for(folder)
        before = loader.load()
        for page in folder.glob("*.md"):
            page.unlink()

        after = loader.load()

        assert after.entries == before.entries
        assert any("no entries found" in p.message for p in after.problems)


class TestCache:
    def test_an_unchanged_folder_starts_from_the_cache(self, folder, tmp_path) -> None:
        data = tmp_path / "data"
        first = loader_for(folder, data).load()
        assert list((data / "knowledge" / "cache").glob("talks.bin"))

        # Same size and mtime, other words: only a cache that is read would keep "One."
        page = folder / "01-a.md"
        stat = page.stat()
        page.write_text(PAGE.format(n=1, q="First?", a="Uno."), encoding="utf-8")
        os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))

        second = loader_for(folder, data).load()

        assert second.entries == first.entries
        assert questions(second)["talks/01-a#first"] == "One."

    def test_a_changed_file_reparses_only_itself(self, folder, tmp_path) -> None:
        data = tmp_path / "data"
        loader_for(folder, data).load()
        unchanged = folder / "01-a.md"
        stat = unchanged.stat()
        unchanged.write_text(PAGE.format(n=1, q="First?", a="Uno."), encoding="utf-8")
        os.utime(unchanged, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        write(folder / "02-b.md", PAGE.format(n=2, q="Second?", a="Two, changed."))
        touch_later(folder / "02-b.md")

        knowledge = loader_for(folder, data).load()

        assert questions(knowledge) == {
            "talks/01-a#first": "One.",
            "talks/02-b#second": "Two, changed.",
        }

    @pytest.mark.parametrize("damage", [b"", b"garbage", "truncate", "flip"])
    def test_a_torn_or_corrupt_cache_is_ignored(self, folder, tmp_path, damage) -> None:
        data = tmp_path / "data"
        expected = loader_for(folder, data).load().entries
        cache = data / "knowledge" / "cache" / "talks.bin"
        blob = cache.read_bytes()
        if damage == "truncate":
            cache.write_bytes(blob[: len(blob) // 2])
        elif damage == "flip":
            cache.write_bytes(blob[:-5] + bytes([blob[-5] ^ 0xFF]) + blob[-4:])
        else:
            cache.write_bytes(damage)  # type: ignore[arg-type]

        assert loader_for(folder, data).load().entries == expected
        assert cache.read_bytes() == blob  # written again

    def test_a_broken_file_stays_broken_after_a_restart(self, folder, tmp_path) -> None:
        data = tmp_path / "data"
        loader_for(folder, data).load()
        write(folder / "02-b.md", "no title\n")
        touch_later(folder / "02-b.md")
        loader_for(folder, data).load()

        restarted = loader_for(folder, data).load()  # from the cache: the error is kept

        assert "talks/02-b#second" in questions(restarted)  # its last good version
        assert any(p.path == "02-b.md" and p.severity == "error" for p in restarted.problems)
