"""A platform defined only in the tests (tests/plugin/echo_platform.py) plugs into qabot.

Its entry point is registered the way pip would: a dist-info folder with an
``entry_points.txt`` on the path of a ``qabot`` subprocess. Nothing in bot/ names it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN = Path(__file__).resolve().parents[1] / "plugin"
REPO = Path(__file__).resolve().parents[2]
ALWAYS_DUE = "mon 00:00 Pacific/Kiritimati"  # the earliest slot of any week


@pytest.fixture
def echo_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a qabot process in which the echo platform is installed."""
    site = tmp_path / "site"
    dist_info = site / "echo_platform-0.1.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: echo-platform\nVersion: 0.1\n"
    )
    (dist_info / "entry_points.txt").write_text(
        "[qabot.platforms]\necho = echo_platform:PLATFORM\n"
    )
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("KNOWLEDGE", "ANSWER"))}
    return {
        **keep,
        "PYTHONPATH": os.pathsep.join([str(site), str(PLUGIN), str(REPO)]),
        "DATA_DIR": str(tmp_path / "data"),
        "ECHO_OUTBOX": str(tmp_path / "outbox.jsonl"),
        "ECHO_TIP_CHANNELS": f"room-1={ALWAYS_DUE}",
    }


def qabot(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_tips_post_works_through_a_platform_bot_has_never_heard_of(
    echo_env: dict[str, str],
) -> None:
    first = qabot(echo_env, "tips", "post", "--platform", "echo")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("posted 20") and " to echo room-1: " in first.stdout
    [posted] = Path(echo_env["ECHO_OUTBOX"]).read_text().splitlines()
    assert json.loads(posted)["channel"] == "room-1"

    again = qabot(echo_env, "tips", "post", "--platform", "echo")
    assert again.returncode == 0 and "no tips due" in again.stdout
    preview = qabot(echo_env, "tips", "preview")
    assert "echo room-1 " in preview.stdout


def test_its_settings_problems_are_reported_like_any_platform(echo_env: dict[str, str]) -> None:
    del echo_env["ECHO_OUTBOX"]
    done = qabot(echo_env, "tips", "post", "--platform", "echo")
    assert done.returncode == 1 and "ECHO_OUTBOX is not set" in done.stderr


def test_its_command_runs_the_shared_worker(echo_env: dict[str, str]) -> None:
    assert "run the echo bot" in qabot(echo_env, "--help").stdout
    done = qabot(
        {**echo_env, "LOG_LEVEL": "INFO", "ECHO_TIP_CHANNELS": ""},
        "echo",
        stdin="How can a data engineer transition to become an AI engineer?\n",
    )
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert reply["kind"] == "answer"
    assert reply["title"] == "How can a data engineer transition to become an AI engineer?"
    assert reply["text"].startswith("For data engineers, it's primarily an engineering role")
    [started] = [line for line in done.stderr.splitlines() if "worker started" in line]
    assert "echo worker started; matching: lexical + meaning (" in started
    assert re.search(r"knowledge: \S+ \(\d+ entries: webinars \d+\)", started)
    assert "store: sqlite " in started and "tip channels: none" in started
