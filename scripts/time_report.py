"""Time ``qabot report`` as a member of the host would run it: wall time, CPU and peak memory.

    python scripts/time_report.py [--database-url URL] [--runs 2] [-- REPORT ARGS...]

Runs ``qabot report --since 30d`` (or the arguments after ``--``) in a fresh process per run
and prints, for each, wall time, CPU (user + system) and peak resident memory, read from the
child's own resource usage (``wait4``). The first run after new questions also encodes their
wordings (the sentence model, a few milliseconds each) and caches the vectors in the database;
later runs read them. Fill a database first with ``scripts/fill_question_log.py``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_ARGS = ["--since", "30d"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: DATABASE_URL, else the bench SQLite file")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("report_args", nargs="*", help="arguments for qabot report")
    args = parser.parse_args()
    env = dict(os.environ)
    url = args.database_url or env.get("DATABASE_URL")
    if url is None:
        url = f"sqlite:///{Path(env.get('DATA_DIR', 'data')) / 'report-bench.sqlite3'}"
    env["DATABASE_URL"] = url
    qabot = shutil.which("qabot", path=str(Path(sys.executable).parent)) or "qabot"
    command = [qabot, "report", *(args.report_args or DEFAULT_ARGS)]
    print(" ".join(command), f"({url.split(':')[0]})")
    for run in range(1, args.runs + 1):
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
        rss_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
        print(
            f"run {run}: wall {wall:.2f} s   cpu {cpu:.2f} s (user {usage.ru_utime:.2f}, "
            f"system {usage.ru_stime:.2f})   peak rss {rss_mb:.0f} MB   exit {code}"
        )
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
