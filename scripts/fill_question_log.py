"""Fill a database with a realistic question log, to measure ``qabot report`` at scale.

    python scripts/fill_question_log.py [--database-url URL] [--rows 1000000] [--days 35]

Without ``--database-url`` (or DATABASE_URL) it fills ``data/report-bench.sqlite3``. The schema
is created or upgraded first; ``--replace`` empties the question log, votes, picks and mentor
requests before filling. The rows:

- ~75% answered: an entry of the knowledge the report will load (KNOWLEDGE_DIR, default the
  bundled ``knowledge/``), drawn with a long tail, asked as its question or a member-style
  variant of it;
- ~25% abstained: the evaluation sets' questions (tests/eval) and the course FAQ's questions
  (../shared/corpus, when present) with member-style variants, a few thousand distinct
  wordings with a long tail, ~10% of them off-topic (weather, salary, resume help, ...);
- 👍/👎 on ~3% of answers, two entries 👎'd by many members (answers that look wrong);
- picks of a suggestion after ~3% of misses (the ``picks`` table, never questions), and a few
  hundred "Ask a mentor" requests;
- spread evenly over ``--days`` days up to now, 20,000 members in 6 channels.

Bulk writes: COPY on PostgreSQL, one executemany transaction on SQLite. About 20-40 s for a
million rows. The corpus is third-party text: the database is for measuring only.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import random
import re
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex

from bot.cli.options import knowledge_from
from bot.models import Entry
from bot.settings import load_core_settings
from bot.store import Store, schema
from bot.store.clean import stored_entry_id
from bot.store.url import normalise_database_url

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "datatalksclub-faq"
CHANNELS = ("C01GENERAL", "C02COURSE", "C03HOMEWORK", "C04LLM", "C05MLOPS", "C06DE")
MEMBERS = 20_000
ABSTAINED_SHARE = 0.25
OFF_TOPIC_SHARE = 0.10  # of the abstained
VOTE_SHARE = 0.03
PICK_SHARE = 0.03
MENTOR_REQUESTS = 400
CHUNK = 50_000

Values = tuple[Any, ...]  # one row to write

OFF_TOPIC_TEMPLATES = (
    "What's the weather in {city} tomorrow",
    "will it rain in {city} this weekend?",
    "What salary can a {role} expect in {city}?",
    "how much does a {role} earn?",
    "can someone review my resume for a {role} job?",
    "could you help me write a cover letter for a {role} position",
    "is {company} hiring a {role}?",
    "which laptop should I buy as a {role}?",
    "who won the football match last night?",
    "any good restaurants in {city}?",
)
CITIES = ("Berlin", "London", "Paris", "Madrid", "Warsaw", "Lisbon", "Kyiv", "Delhi", "Lagos")
ROLES = ("data engineer", "ML engineer", "data scientist", "AI engineer", "analyst")
COMPANIES = ("Google", "Zalando", "Spotify", "Booking", "Revolut")
PREFIXES = ("", "", "hey, ", "hi all, ", "quick question: ", "does anyone know ", "pls help: ")
SUFFIXES = ("", "", "", " thanks!", " ty", " 🙏", "??")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: DATABASE_URL, else a SQLite file")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=35)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--replace", action="store_true", help="empty the log tables first")
    args = parser.parse_args()
    settings = load_core_settings()
    url = args.database_url or settings.database_url
    if url is None:
        url = f"sqlite:///{settings.data_dir / 'report-bench.sqlite3'}"
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    knowledge = knowledge_from(settings)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    log = LogMaker(rng, knowledge.entries)
    asyncio.run(fill(url, settings.data_dir, log, args))
    took = time.perf_counter() - started
    print(f"filled {args.rows:,} questions in {took:.1f} s ({safe(url)})")
    return 0


def safe(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", url)


class LogMaker:
    """Rows of a realistic question log, made from the knowledge and the question sets."""

    def __init__(self, rng: random.Random, entries: Sequence[Entry]) -> None:
        self.rng = rng
        self.entry_ids = [stored_entry_id(e.id) for e in entries]
        self.entry_questions = [e.question for e in entries]
        self.gaps = variants(rng, gap_questions(), 4)
        self.off_topic = variants(rng, off_topic_questions(), 3)
        self.users = [hashlib.sha256(f"member{n}".encode()).hexdigest() for n in range(MEMBERS)]

    def pick(self, items: Sequence[str], skew: float = 1.1) -> str:
        """A long tail: the first items are asked far more often than the last."""
        n = len(items)
        index = int(n * self.rng.random() ** (1 + skew * 2)) if n else 0
        return items[min(index, n - 1)]

    def questions(self, rows: int, since: dt.datetime, span: dt.timedelta) -> Iterator[Values]:
        step = span / rows
        for n in range(rows):
            asked_at = since + step * n
            user = self.rng.choice(self.users)
            channel = self.rng.choice(CHANNELS)
            latency = round(self.rng.lognormvariate(2.3, 0.6), 2)
            if self.rng.random() < ABSTAINED_SHARE:
                pool = self.off_topic if self.rng.random() < OFF_TOPIC_SHARE else self.gaps
                question, outcome, entry, score = self.pick(pool), "abstained", None, 0.2
            else:
                i = self._entry()
                question = member_style(self.rng, self.entry_questions[i])
                outcome, entry, score = "answered", self.entry_ids[i], 0.8
            yield (n, asked_at, channel, user, question, outcome, entry, score, latency)

    def _entry(self) -> int:
        n = len(self.entry_ids)
        return min(int(n * self.rng.random() ** 3), n - 1)


def gap_questions() -> list[str]:
    """The evaluation sets' questions, then the course FAQ's (when the corpus is present)."""
    found: list[str] = []
    for path in sorted((REPO / "tests" / "eval").rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                found.append(" ".join(str(json.loads(line)["q"]).split()))
    if CORPUS.is_dir():
        pattern = re.compile(r"^question:\s*['\"]?(.*?)['\"]?\s*$", re.MULTILINE)
        for path in sorted(CORPUS.rglob("*.md")):
            match = pattern.search(path.read_text(encoding="utf-8", errors="replace")[:2000])
            if match:
                found.append(match.group(1))
    return list(dict.fromkeys(q for q in found if 3 <= len(q) <= 300))


def off_topic_questions() -> list[str]:
    return [
        template.format(city=city, role=role, company=company)
        for template in OFF_TOPIC_TEMPLATES
        for city, role, company in zip(CITIES, ROLES * 2, COMPANIES * 2, strict=False)
    ]


def variants(rng: random.Random, questions: Sequence[str], per_question: int) -> list[str]:
    """Each question, then member-style variants of it, shuffled so the tail mixes topics."""
    base = list(questions)
    rng.shuffle(base)
    result: list[str] = []
    for question in base:
        result.append(question)
        result += [member_style(rng, question) for _ in range(per_question - 1)]
    return list(dict.fromkeys(result))


def member_style(rng: random.Random, question: str) -> str:
    text = question if rng.random() < 0.5 else question.lower()
    return f"{rng.choice(PREFIXES)}{text}{rng.choice(SUFFIXES)}"[:2000]


async def fill(url: str, data_dir: Path, log: LogMaker, args: argparse.Namespace) -> None:
    store = Store.connect(url, data_dir)
    await store.upgrade()
    await store.close()
    until = dt.datetime.now(dt.UTC).replace(microsecond=0)
    since = until - dt.timedelta(days=args.days)
    ids = unique_ids(log.rng, args.rows)
    rows = (
        (ids[n], asked_at, "slack", "T01", channel, user, question, outcome, entry, score, lat)
        for n, asked_at, channel, user, question, outcome, entry, score, lat in log.questions(
            args.rows, since, until - since
        )
    )
    target = normalise_database_url(url, data_dir)
    if target.get_backend_name() == "sqlite":
        fill_sqlite(Path(target.database or ""), rows, log, args.replace)
    else:
        dsn = target.set(drivername="postgresql").render_as_string(hide_password=False)
        await fill_postgres(dsn, rows, log, args.replace)


def unique_ids(rng: random.Random, count: int) -> list[int]:
    ids: set[int] = set()
    while len(ids) < count:
        ids.update(rng.getrandbits(63) or 1 for _ in range(count - len(ids)))
    return list(ids)


class Extras:
    """Votes, picks and mentor requests that follow the questions as they are written."""

    def __init__(self, log: LogMaker) -> None:
        self.log = log
        self.votes: list[Values] = []
        self.picks: list[Values] = []
        self.mentors: list[Values] = []
        self.wrong = set(log.entry_ids[3:5])  # two answers most voters 👎

    def follow(self, row: Values) -> None:
        log_id, asked_at, _, _, channel, user, question, outcome, entry, _, _ = row
        rng = self.log.rng
        later = asked_at + dt.timedelta(seconds=30)
        if outcome == "answered" and rng.random() < VOTE_SHARE:
            down = rng.random() < (0.8 if entry in self.wrong else 0.2)
            self.votes.append((log_id, user, "down" if down else "up", later))
        elif outcome == "abstained" and rng.random() < PICK_SHARE:
            pick = rng.choice(self.log.entry_ids)
            self.picks.append(
                (rng.getrandbits(63) or 1, later, "slack", channel, user, log_id, question, pick)
            )
            if len(self.mentors) < MENTOR_REQUESTS and rng.random() < 0.05:
                self.mentors.append((log_id, "slack", channel, user, question, later))


def fill_sqlite(path: Path, rows: Iterator[Values], log: LogMaker, replace: bool) -> None:
    def when(moment: dt.datetime) -> str:
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy stores it

    extras = Extras(log)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN IMMEDIATE")
    for name, _ in log_indexes("sqlite"):
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    if replace:
        for table in ("question_log", "feedback", "picks", "mentor_requests"):
            conn.execute(f"DELETE FROM {table}")  # fixed table names
    insert = (
        "INSERT INTO question_log (id, asked_at, platform, workspace, channel, user_hash, "
        "question, outcome, entry_id, score, latency_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
    )
    batch: list[Values] = []
    for row in rows:
        extras.follow(row)
        batch.append((row[0], when(row[1]), *row[2:]))
        if len(batch) >= CHUNK:
            conn.executemany(insert, batch)
            batch.clear()
    conn.executemany(insert, batch)
    conn.executemany(
        "INSERT OR IGNORE INTO feedback (log_id, user_hash, vote, voted_at) VALUES (?,?,?,?)",
        [(v[0], v[1], v[2], when(v[3])) for v in extras.votes],
    )
    conn.executemany(
        "INSERT INTO picks (id, picked_at, platform, channel, user_hash, log_id, question, "
        "entry_id, via) VALUES (?,?,?,?,?,?,?,?,'suggestion')",
        [(p[0], when(p[1]), *p[2:]) for p in extras.picks],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO mentor_requests (log_id, platform, channel, user_hash, question, "
        "requested_at) VALUES (?,?,?,?,?,?)",
        [(m[0], *m[1:5], when(m[5])) for m in extras.mentors],
    )
    for _, create in log_indexes("sqlite"):
        conn.execute(create)  # one sorted build instead of a million random inserts
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    print(extras_summary(extras), file=sys.stderr)


async def fill_postgres(dsn: str, rows: Iterator[Values], log: LogMaker, replace: bool) -> None:
    extras = Extras(log)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            if replace:
                await conn.execute("TRUNCATE question_log, feedback, picks, mentor_requests")
            for name, _ in log_indexes("postgresql"):
                await conn.execute(f"DROP INDEX IF EXISTS {name}")
            columns = [
                "id", "asked_at", "platform", "workspace", "channel", "user_hash",
                "question", "outcome", "entry_id", "score", "latency_ms",
            ]  # fmt: skip
            batch: list[Values] = []
            for row in rows:
                extras.follow(row)
                batch.append(row)
                if len(batch) >= CHUNK:
                    await conn.copy_records_to_table("question_log", records=batch, columns=columns)
                    batch.clear()
            await conn.copy_records_to_table("question_log", records=batch, columns=columns)
            votes = list({(v[0], v[1]): v for v in extras.votes}.values())
            await conn.copy_records_to_table(
                "feedback", records=votes, columns=["log_id", "user_hash", "vote", "voted_at"]
            )
            await conn.copy_records_to_table(
                "picks",
                records=[(*p, "suggestion") for p in extras.picks],
                columns=[
                    "id", "picked_at", "platform", "channel", "user_hash", "log_id",
                    "question", "entry_id", "via",
                ],
            )  # fmt: skip
            mentors = list({m[0]: m for m in extras.mentors}.values())
            await conn.copy_records_to_table(
                "mentor_requests",
                records=mentors,
                columns=["log_id", "platform", "channel", "user_hash", "question", "requested_at"],
            )
            for _, create in log_indexes("postgresql"):
                await conn.execute(create)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    print(extras_summary(extras), file=sys.stderr)


def log_indexes(dialect_name: str) -> list[tuple[str, str]]:
    """The question log's indexes (name, CREATE statement): dropped while filling, then built."""
    dialect = sqlite.dialect() if dialect_name == "sqlite" else postgresql.dialect()
    return [
        (str(index.name), str(CreateIndex(index).compile(dialect=dialect)))
        for index in schema.question_log.indexes
    ]


def extras_summary(extras: Extras) -> str:
    return (
        f"{len(extras.votes):,} votes, {len(extras.picks):,} picks, "
        f"{len(extras.mentors):,} mentor requests"
    )


if __name__ == "__main__":
    sys.exit(main())
