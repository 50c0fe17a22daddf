"""``qabot reload``: ask the running workers to reload their knowledge (SIGHUP)."""

from __future__ import annotations

import argparse

from bot.runfiles import RUN_DIR, signal_workers
from bot.settings import load_core_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "reload",
        help="make the running workers reload their knowledge",
        description="Sends SIGHUP to every worker that runs with the same DATA_DIR (they write "
        "DATA_DIR/run/<platform>-<pid>.pid). Exit status 1 when none is running.",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    data_dir = load_core_settings().data_dir
    done = signal_workers(data_dir)
    if done.stale:
        print(f"removed {done.stale} pid file(s) of workers that are no longer running")
    if not done.workers:
        print(f"no running workers found in {data_dir / RUN_DIR}")
        return 1
    print(f"signalled {len(done.workers)} worker(s) to reload: {', '.join(done.workers)}")
    return 0
