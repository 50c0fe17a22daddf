"""Pid files of running workers, so ``qabot reload`` can find them and send SIGHUP.

Each worker writes ``DATA_DIR/run/<platform>-<pid>.pid`` while it runs. The file holds the pid
and the process's start time (from /proc, where there is one), so a pid reused by another
program after a crash is recognised and its file removed, never signalled.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

RUN_DIR = "run"
_NAME = re.compile(r"([a-z0-9_-]+)-(\d+)\.pid")


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot; "" where /proc does not tell."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return ""
    fields = stat.rpartition(")")[2].split()  # the command name may hold spaces and brackets
    return fields[19] if len(fields) > 19 else ""


@contextlib.contextmanager
def worker_pid_file(data_dir: Path, platform: str) -> Iterator[Path]:
    """Announce this process as a running ``platform`` worker until the block ends."""
    run_dir = data_dir / RUN_DIR
    run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    pid = os.getpid()
    path = run_dir / f"{platform}-{pid}.pid"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{pid} {_start_time(pid)}\n", encoding="ascii")
    tmp.replace(path)  # a reader never sees half a file
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


@dataclass(frozen=True, slots=True)
class Signalled:
    workers: tuple[str, ...]  # "slack-1234", one per process signalled
    stale: int  # pid files of processes that are gone, removed


def _alive(pid: int, started: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: not ours to signal
        return False
    return not started or _start_time(pid) in ("", started)


def signal_workers(data_dir: Path, sig: signal.Signals = signal.SIGHUP) -> Signalled:
    """Send ``sig`` to every live worker under ``data_dir``; remove the files of dead ones."""
    run_dir = data_dir / RUN_DIR
    signalled: list[str] = []
    stale = 0
    for path in sorted(run_dir.glob("*.pid")) if run_dir.is_dir() else []:
        match = _NAME.fullmatch(path.name)
        try:
            pid_text, _, started = path.read_text(encoding="ascii").strip().partition(" ")
            pid = int(pid_text)
        except (OSError, ValueError, UnicodeDecodeError):
            pid, started = -1, ""
        if match is None or pid != int(match.group(2)) or pid == os.getpid():
            continue
        if not _alive(pid, started):
            with contextlib.suppress(OSError):
                path.unlink()
            stale += 1
            continue
        try:
            os.kill(pid, sig)
        except ProcessLookupError:  # it ended just now
            continue
        signalled.append(path.stem)
    return Signalled(tuple(signalled), stale)
