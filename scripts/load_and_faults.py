#!/usr/bin/env python3
"""Load and database faults against ONE real ``qabot slack --http`` process, with a fake Slack
for the Web API (tests/slack/fake_slack.py) and signed requests like Slack's: ``/ask`` slash
commands and ``app_mention`` events, one mention in five delivered twice (a Slack retry).

Load (default): ``--rate`` requests a second for ``--seconds`` on each ``--database``, with the
default matching (the sentence model included). It prints requests sent, 2xx acks, p50/p99 ack
latency, events answered once / twice / never, log rows against questions, the dropped-row
metric, and the bot's CPU and peak RSS; it exits 1 if a check fails: every request acked 2xx,
p99 ack <= 1 s, every event answered exactly once, every question logged exactly once.

Faults (``--faults``): PostgreSQL down at start, killed mid-run and frozen (SIGSTOP), and SQLite
locked by another writer, each under traffic. Checks: no event answered twice, no answer lost,
no log row lost unless counted as overflow, /healthz degraded while the database is down, and
recovery without a restart.

PostgreSQL is a throwaway server of this script's own on a free port (initdb; the binaries
under /usr/lib/postgresql/*/bin), so it can be stopped, killed and frozen.

    python scripts/load_and_faults.py                    # 100/s x 60 s on SQLite and PostgreSQL
    python scripts/load_and_faults.py --small            # CI size: 20/s x 5 s, then the faults
    python scripts/load_and_faults.py --faults --database postgres
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a file: the fakes and helpers live under tests/
    sys.path.insert(0, str(REPO))

from tests.support import throwaway_postgres  # noqa: E402
from tests.support.database_faults import (  # noqa: E402
    Check,
    Fault,
    fault_checks,
    load_checks,
    postgres_faults,
    run_fault,
    sqlite_fault,
)
from tests.support.slack_load import SlackBot, Totals  # noqa: E402

SMALL_RATE, SMALL_SECONDS = 20.0, 5.0
FAULT_BEFORE, FAULT_HOLD, FAULT_AFTER = 2.0, 4.0, 3.0
STALLED_HOLD = 12.0  # a frozen or locked database counts as down after 10 s of waiting rows


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.small:
        args.rate, args.seconds, args.with_faults = SMALL_RATE, SMALL_SECONDS, True
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    if "postgres" in databases and (reason := throwaway_postgres.unavailable()):
        print(f"cannot start a throwaway PostgreSQL: {reason}", file=sys.stderr)
        return 2
    env = {"EMBEDDING_MODEL": args.matching} if args.matching else {}
    failed = asyncio.run(run_all(args, databases, env))
    print("\nall checks passed" if not failed else f"\n{failed} checks FAILED")
    return 1 if failed else 0


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rate", type=float, default=100.0, help="requests a second")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load run")
    small = f"CI size: {SMALL_RATE:g}/s x {SMALL_SECONDS:g} s, then the faults"
    parser.add_argument("--small", action="store_true", help=small)
    parser.add_argument("--faults", dest="only_faults", action="store_true",
                        help="only the database faults (at --rate), no load run")  # fmt: skip
    parser.add_argument("--matching", help="EMBEDDING_MODEL for the bot (default: its default)")
    args = parser.parse_args(argv)
    args.with_faults = args.only_faults
    return args


async def run_all(args: argparse.Namespace, databases: list[str], env: dict[str, str]) -> int:
    failed = 0
    with tempfile.TemporaryDirectory(prefix="qabot-load-") as tmp, postgres(databases) as pg:
        root = Path(tmp)
        for database in databases if not args.only_faults else []:
            url = database_url(database, root / f"load-{database}", pg)
            failed += await load_run(args, database, url, root / f"load-{database}", env)
        for database in databases if args.with_faults else []:
            rate = SMALL_RATE if args.small else args.rate
            failed += await fault_runs(database, root, pg, rate, env)
    return failed


async def load_run(
    args: argparse.Namespace, database: str, url: str, root: Path, env: dict[str, str]
) -> int:
    bot = SlackBot(root, url, **env)
    try:
        started = time.monotonic()
        await bot.start(matching_ready=not env)
        health = await bot.health() or {}
        ready = time.monotonic() - started
        print(f"\nload: {database}, {args.rate:g} req/s x {args.seconds:g} s, "
              f"matching {health.get('matching')} (ready in {ready:.1f} s)")  # fmt: skip
        cpu_before, _ = bot.usage()
        began = time.monotonic()
        await bot.load(args.rate, args.seconds)
        await bot.sent_all()
        cpu_after, peak = bot.usage()
        wall = time.monotonic() - began
        await bot.settle(within=max(60.0, args.seconds))
        if not bot.settled:
            print("  (still answering or logging when the wait ended: counted as it was)")
        totals = await bot.finish()
    finally:
        await bot.stop()
    print_totals(totals)
    cpu = cpu_after - cpu_before
    print(f"  bot CPU: {cpu:.1f} s over {wall:.1f} s ({cpu / wall:.0%} of one core), "
          f"peak RSS {peak:.0f} MB")  # fmt: skip
    return report(load_checks(totals))


async def fault_runs(
    database: str, root: Path, pg: throwaway_postgres.PostgresServer | None, rate: float,
    env: dict[str, str],
) -> int:  # fmt: skip
    faults: list[Fault]
    if database == "postgres":
        assert pg is not None
        faults = postgres_faults(pg, FAULT_HOLD, STALLED_HOLD)
    else:
        faults = [sqlite_fault(root / "fault-sqlite" / "data" / "qa.sqlite3", STALLED_HOLD,
                               expect_degraded=True)]  # fmt: skip
    failed = 0
    for n, fault in enumerate(faults):
        folder = root / f"fault-{database}-{n}"
        if database == "sqlite":
            folder = root / "fault-sqlite"
        bot = SlackBot(folder, database_url(database, folder, pg), **env)
        print(f"\nfault: {fault.name}, {rate:g} req/s, held {fault.hold:g} s")
        try:
            totals, observed = await run_fault(
                bot, fault, rate=rate, before=FAULT_BEFORE, after=FAULT_AFTER
            )
        finally:
            await bot.stop()
        print_totals(totals)
        failed += report(fault_checks(totals, observed, fault))
    return failed


def print_totals(totals: Totals) -> None:
    asks = sum(1 for s in totals.sent if s.kind == "ask")
    again = sum(1 for s in totals.sent if s.redelivery)
    once, more, missing = totals.log_counts()
    print(f"  requests sent: {len(totals.sent)} ({asks} /ask, {len(totals.sent) - asks - again} "
          f"mentions, {again} redelivered)")  # fmt: skip
    print(f"  2xx acks: {totals.acked}")
    print(f"  ack latency: p50 {totals.latency(0.5) * 1000:.0f} ms, "
          f"p99 {totals.latency(0.99) * 1000:.0f} ms")  # fmt: skip
    print(f"  events answered: once {totals.answered(1)}, twice+ {totals.answered_more}, "
          f"never {totals.answered(0)} (apologies {totals.apologies})")  # fmt: skip
    print(f"  log rows: {sum(totals.logged.values())} for {len(totals.questions)} questions "
          f"(once {once}, twice+ {more}, missing {missing})")  # fmt: skip
    print(f"  dropped-row metric: {totals.dropped:g}")


def report(checks: list[Check]) -> int:
    for check in checks:
        print(check.line())
    return sum(1 for check in checks if not check.ok)


def database_url(database: str, root: Path, pg: throwaway_postgres.PostgresServer | None) -> str:
    if database == "sqlite":
        return f"sqlite:///{root / 'data' / 'qa.sqlite3'}"
    assert pg is not None
    return pg.url(pg.create_database())


@contextmanager
def postgres(databases: list[str]) -> Iterator[throwaway_postgres.PostgresServer | None]:
    if "postgres" not in databases:
        yield None
        return
    server = throwaway_postgres.create_server()
    try:
        yield server
    finally:
        throwaway_postgres.remove_server(server)


if __name__ == "__main__":
    sys.exit(main())
