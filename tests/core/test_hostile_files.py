"""Hostile knowledge folders: each case is a one-line error or warning, never a traceback,
a hang or a blow-up, in ``qabot check`` and ``qabot ask`` alike."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.knowledge import check_knowledge, load_knowledge

PAGE = "# Webinar 1: Fine\n\n## Q&A\n\n### Is this fine?\n\nYes, this is fine.\n"
BOMB = "\n".join(
    ["---", "id: boom", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [
        f"{c}: &{c} [{','.join([f'*{p}'] * 9)}]"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    + ["question: *i", "---", "", "An answer."]
)


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def qabot(cwd: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run qabot; also return the child's peak memory in kB (ru_maxrss of a fresh parent)."""
    probe = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=60)\n"
        "sys.stdout.write(done.stdout); sys.stderr.write(done.stderr)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(done.returncode)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("KNOWLEDGE")}
    env["DATA_DIR"] = str(cwd / "data")
    done = subprocess.run(
        [sys.executable, "-c", probe, sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    *errors, peak = done.stderr.strip().splitlines()
    return (
        subprocess.CompletedProcess(done.args, done.returncode, done.stdout, "\n".join(errors)),
        int(peak),
    )


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    write(folder / "01-fine.md", PAGE)
    return folder


def test_a_yaml_alias_bomb_is_refused_quickly_and_small(kb: Path, tmp_path: Path) -> None:
    write(kb / "course/general/001_bomb.md", BOMB)

    checked, peak_kb = qabot(tmp_path, "check", str(kb))
    asked, ask_peak_kb = qabot(tmp_path, "ask", "--knowledge", str(kb), "is this fine?")

    message = "uses an anchor or alias (&name, *name); they are not allowed"
    assert checked.returncode == 1
    assert f"course/general/001_bomb.md:3: error: YAML front matter {message}" in checked.stdout
    assert "OK" not in checked.stdout
    assert asked.returncode == 1
    assert f"qabot ask: course/general/001_bomb.md:3: YAML front matter {message}" in asked.stderr
    for result in (checked, asked):
        assert "Traceback" not in result.stderr
    assert max(peak_kb, ask_peak_kb) < 200_000  # kB: under 200 MB


def test_aliases_in_metadata_are_refused_too(kb: Path) -> None:
    write(kb / "course/_metadata.yaml", "course_name: &n Course\ncourse: *n\n")
    write(kb / "course/general/001.md", "---\nid: a1\nquestion: Fine?\n---\n\nFine, really fine.\n")

    problems = [str(p) for p in check_knowledge(kb)]

    assert problems == [
        "course/_metadata.yaml:1: error: YAML uses an anchor or alias (&name, *name); "
        "they are not allowed"
    ]
    faq = load_knowledge(kb).get("kb/course/general/001#a1")
    assert faq is not None and faq.source_title == "course › general"  # the folder names


@pytest.mark.parametrize(
    ("name", "line"),
    [("course/_metadata.yaml", 2), ("tips.txt", 2), ("off-topic.txt", 2)],
)
def test_side_files_that_are_not_utf8_are_errors_with_their_line(
    kb: Path, tmp_path: Path, name: str, line: int
) -> None:
    write(kb / "course/general/001.md", "---\nid: a1\nquestion: Fine?\n---\n\nFine, really.\n")
    write(kb / name, b"# a comment\ncourse_name: Caf\xe9\n")

    checked, _ = qabot(tmp_path, "check", str(kb))
    asked, _ = qabot(tmp_path, "ask", "--knowledge", str(kb), "is this fine?")

    expected = f"{name}:{line}: error: not UTF-8 text (invalid continuation byte)"
    assert checked.returncode == 1 and expected in checked.stdout
    if name == "course/_metadata.yaml":  # titles fall back to folder names: still answers
        assert asked.returncode == 0, asked.stderr
    else:
        assert asked.returncode == 1
        assert f"qabot ask: {name}:{line}: not UTF-8 text" in asked.stderr
    assert "Traceback" not in checked.stderr + asked.stderr


def test_a_folder_named_like_a_file_is_walked_into(kb: Path) -> None:
    write(
        kb / "x.md" / "02-inside.md", "# Webinar 2: In\n\n## Q&A\n\n### Inside?\n\nYes, inside.\n"
    )
    knowledge = load_knowledge(kb)
    assert "kb/x.md/02-inside#inside" in [e.id for e in knowledge.entries]
    assert not knowledge.problems


def test_md_files_linked_to_each_other_are_a_warning(kb: Path, tmp_path: Path) -> None:
    (kb / "a.md").symlink_to(kb / "b.md")
    (kb / "b.md").symlink_to(kb / "a.md")

    checked, _ = qabot(tmp_path, "check", str(kb))
    asked, _ = qabot(tmp_path, "ask", "--knowledge", str(kb), "is this fine?")

    assert checked.returncode == 0
    assert "a.md:1: warning: links to itself in a loop; skipped" in checked.stdout
    assert "b.md:1: warning: links to itself in a loop; skipped" in checked.stdout
    assert asked.returncode == 0 and "Yes, this is fine." in asked.stdout
    assert "Traceback" not in checked.stderr + asked.stderr


def test_a_fifo_named_like_a_page_never_hangs(kb: Path, tmp_path: Path) -> None:
    os.mkfifo(kb / "pipe.md")

    checked, _ = qabot(tmp_path, "check", str(kb))  # the 60 s timeout would fail the test
    asked, _ = qabot(tmp_path, "ask", "--knowledge", str(kb), "is this fine?")

    assert "pipe.md:1: warning: not a regular file; skipped" in checked.stdout
    assert checked.returncode == 0 and asked.returncode == 0


def test_links_out_of_the_folder_are_not_followed(kb: Path, tmp_path: Path) -> None:
    secret = write(tmp_path / "secret.md", PAGE.replace("Is this fine?", "Secret?"))
    (kb / "leak.md").symlink_to(secret)
    (kb / "outside").symlink_to(tmp_path, target_is_directory=True)
    write(kb / "real" / "03-real.md", PAGE.replace("Fine", "Real"))
    (kb / "alias.md").symlink_to(kb / "real" / "03-real.md")  # inside: followed

    knowledge = load_knowledge(kb)

    ids = [e.id for e in knowledge.entries]
    assert not any(
        "secret" in e.answer.lower() or "Secret" in e.question for e in knowledge.entries
    )
    assert "kb/alias#is-this-fine" in ids
    assert [str(p) for p in knowledge.problems if "link" in p.message] == [
        "leak.md:1: warning: links outside the knowledge folder; not followed",
        "outside:1: warning: links to a folder; links to folders are not followed",
    ]


def test_headings_too_long_for_an_id_are_warned_about(kb: Path) -> None:
    heading = "Why " + "really " * 70 + "long?"
    write(kb / "02-long.md", PAGE.replace("Is this fine?", heading))

    (problem,) = [p for p in check_knowledge(kb) if "characters long" in p.message]

    assert str(problem).startswith("02-long.md:5: warning: the id is 509 characters long;")
    assert problem.message.endswith("shorten the heading to under 289 characters")


def test_qabot_ask_says_what_it_skipped(kb: Path, tmp_path: Path) -> None:
    os.mkfifo(kb / "pipe.md")
    asked, _ = qabot(tmp_path, "ask", "--knowledge", str(kb), "is this fine?")
    assert asked.returncode == 0
    assert "kb/pipe.md:1: warning: not a regular file; skipped" in asked.stderr
