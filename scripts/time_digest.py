"""How long the weekly digest takes to read and compose: ``python scripts/time_digest.py
[--rows N] [--database-url URL]``.

Fills a fresh database (a temporary SQLite file by default) with N logged questions over 14
days (a fifth of them missed, in 3,000 wordings), 👎 votes, alias proposals and mentor
requests, then prints the wall time and peak memory of ``gather_facts`` + ``compose_digest``.
Give a PostgreSQL URL of an empty database to time it there (its tables are created).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import resource
import tempfile
import time
from pathlib import Path

from bot.digest import compose_digest, gather_facts
from bot.store import Store, new_log_id, schema
from bot.store.rows import utc

UNTIL = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
WORDS = "course homework deadline project pay certificate video slides docker cloud".split()


def wording(rng: random.Random) -> str:
    return "how do I " + " ".join(rng.sample(WORDS, 3)) + f" {rng.randrange(300)}"


async def fill(store: Store, rows: int) -> None:
    rng = random.Random(7)
    missed = [wording(rng) for _ in range(3000)]
    batch: list[dict[str, object]] = []
    votes: list[dict[str, object]] = []
    async with store.engine.begin() as conn:
        for n in range(rows):
            log_id = new_log_id()
            answered = rng.random() > 0.2
            batch.append(
                {
                    "id": log_id,
                    "asked_at": utc(UNTIL - dt.timedelta(seconds=rng.randrange(14 * 86400))),
                    "platform": "slack",
                    "channel": "C1",
                    "user_hash": f"u{rng.randrange(5000)}",
                    "question": "how do I get the recording" if answered else rng.choice(missed),
                    "outcome": "answered" if answered else "abstained",
                    "entry_id": f"webinars/w#e{rng.randrange(400)}" if answered else None,
                    "score": 0.8 if answered else 0.2,
                    "latency_ms": 1.0,
                }
            )
            if answered and rng.random() < 0.02:
                votes.append(
                    {
                        "log_id": log_id,
                        "user_hash": f"u{rng.randrange(5000)}",
                        "vote": "down",
                        "voted_at": utc(UNTIL - dt.timedelta(days=1)),
                    }
                )
            if len(batch) == 5000 or n == rows - 1:
                await conn.execute(schema.question_log.insert(), batch)
                batch = []
        if votes:
            await conn.execute(schema.feedback.insert(), votes)
        proposals = [
            {
                "id": i,
                "wording_key": f"k{i}",
                "wording": missed[i],
                "entry_id": "webinars/w#e1",
                "status": "pending",
                "created_at": utc(UNTIL),
            }
            for i in range(1, 201)
        ]
        await conn.execute(schema.alias_proposals.insert(), proposals)


async def main(rows: int, url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.connect(url or f"sqlite:///{Path(tmp) / 'digest.db'}", Path(tmp))
        await store.upgrade()
        started = time.perf_counter()
        await fill(store, rows)
        filled = time.perf_counter() - started
        started = time.perf_counter()
        digest = compose_digest(await gather_facts(store.engine, UNTIL, lambda entry_id: None))
        took = time.perf_counter() - started
        await store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"backend: {store.backend}; rows: {rows:,} (filled in {filled:.1f} s)")
    print(f"digest: {took * 1000:.0f} ms wall; peak RSS of the process {peak:.0f} MB")
    print(digest.summary)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.database_url))
