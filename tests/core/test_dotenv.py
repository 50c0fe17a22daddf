"""``.env`` in the working directory is read at start; real environment variables win."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

WEBINAR = "# Webinar 5: {title}\n\n## Q&A\n\n### Is this from {title}?\n\nYes, it is.\n"


def qabot(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KNOWLEDGE", "DATA_DIR"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def folder(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.mkdir()
    (path / "05-talk.md").write_text(WEBINAR.format(title=name), encoding="utf-8")
    return path


def test_settings_come_from_dot_env_and_the_environment_wins(tmp_path: Path) -> None:
    from_file, from_env = folder(tmp_path, "from-file"), folder(tmp_path, "from-env")
    (tmp_path / ".env").write_text(
        f"# copied from .env.example\nKNOWLEDGE_DIR={from_file}\nDATA_DIR={tmp_path / 'data'}\n",
        encoding="utf-8",
    )

    done = qabot(tmp_path, "check")
    assert done.returncode == 0, done.stderr
    assert f"{from_file}: 3 entries in 1 file(s)" in done.stdout

    done = qabot(tmp_path, "check", KNOWLEDGE_DIR=str(from_env))
    assert f"{from_env}: 3 entries in 1 file(s)" in done.stdout


def test_an_unreadable_dot_env_is_a_warning_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"KNOWLEDGE_DIR=\xff\xfe\n")

    done = qabot(tmp_path, "check", DATA_DIR=str(tmp_path / "data"))

    assert done.returncode == 0, done.stderr
    assert "qabot: .env not read" in done.stderr
    assert "Traceback" not in done.stderr
