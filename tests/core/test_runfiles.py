"""Pid files of running workers, and ``qabot reload`` sending them SIGHUP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.runfiles import signal_workers, worker_pid_file

# A stand-in worker: announces itself as the real ones do, and writes a line per SIGHUP.
WORKER = """
import signal, sys, time
from pathlib import Path
from bot.runfiles import worker_pid_file

data_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
signal.signal(signal.SIGHUP, lambda *_: out.open("a").write("reload\\n"))
with worker_pid_file(data_dir, "slack"):
    out.write_text("")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "reload" not in out.read_text():
        time.sleep(0.02)
"""


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def worker(tmp_path: Path):
    out = tmp_path / "signals.txt"
    process = subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path / "data"), str(out)])
    wait_for(out.exists)
    yield process, out
    process.kill()
    process.wait(timeout=10)


def test_reload_signals_each_live_worker_and_says_how_many(
    worker, tmp_path, monkeypatch, capsys
) -> None:
    process, out = worker
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))

    assert main(["reload"]) == 0

    assert f"signalled 1 worker(s) to reload: slack-{process.pid}" in capsys.readouterr().out
    wait_for(lambda: "reload" in out.read_text())
    process.wait(timeout=20)  # it removes its pid file on the way out
    assert not list((tmp_path / "data" / "run").glob("*.pid"))


def test_files_of_workers_that_are_gone_are_removed_not_signalled(tmp_path, monkeypatch, capsys):
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True
    )
    pid = int(gone.stdout)
    run = tmp_path / "run"
    run.mkdir()
    (run / f"discord-{pid}.pid").write_text(f"{pid} 1\n")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))

    assert main(["reload"]) == 1

    out = capsys.readouterr().out
    assert "removed 1 pid file(s) of workers that are no longer running" in out
    assert f"no running workers found in {run}" in out
    assert not list(run.iterdir())


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_pid_reused_by_another_program_is_not_signalled(worker, tmp_path) -> None:
    """After a crash the pid may belong to something else: its start time tells them apart."""
    process, out = worker
    run = tmp_path / "data" / "run"
    (run / f"slack-{process.pid}.pid").write_text(f"{process.pid} 12345\n")  # another start

    done = signal_workers(tmp_path / "data")

    assert done.workers == () and done.stale == 1
    time.sleep(0.2)
    assert out.read_text() == ""


def test_the_pid_file_lives_while_the_worker_runs(tmp_path) -> None:
    with worker_pid_file(tmp_path, "discord") as path:
        assert path == tmp_path / "run" / f"discord-{os.getpid()}.pid"
        assert path.read_text().split()[0] == str(os.getpid())
        assert signal_workers(tmp_path).workers == ()  # never signals itself
    assert not path.exists()
