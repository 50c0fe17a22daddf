"""Which matching is on, as the log, ``/healthz`` and ``qabot_matching`` say, across restarts of
a real ``qabot slack --http`` worker with the default EMBEDDING_MODEL and the bundled knowledge.

First start: the word vectors at once, the sentence model once it has encoded the entries.
A restart with the same DATA_DIR: the sentence model within 2 s (its vectors are on disk).
A restart on a wiped disk (an empty DATA_DIR) with DATABASE_URL: the vectors come from the
database, nothing is encoded again.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from slack_member import RecordingSlack
from slack_side import SECRET

from tests.store.support import PG_URL, postgres_unavailable
from tests.support.living_knowledge import QabotProcess, Timings, eventually, free_port

SENTENCE_MODEL = "all-MiniLM-L6-v2-int8"
WORD_VECTORS = "word-vectors"
TIMINGS = Timings("Matching modes")


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A database that outlives the disk: a fresh PostgreSQL database (SQLite outside DATA_DIR
    when PostgreSQL is not there and not required)."""
    reason = postgres_unavailable()
    if reason and os.environ.get("QABOT_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason} (QABOT_REQUIRE_POSTGRES=1)")
    if reason:
        yield f"sqlite:///{tmp_path / 'elsewhere' / 'qa.db'}"
        return
    name = f"qabot_e2e_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


class Worker:
    """``qabot slack --http`` on a port of its own, the bundled knowledge, the default model."""

    def __init__(self, tmp_path: Path, data_dir: Path, database_url: str, name: str) -> None:
        self.port = free_port()
        self.fake = RecordingSlack()
        keep = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("KNOWLEDGE", "CHANNEL_", "EMBEDDING", "SLACK_", "DISCORD_"))
        }
        env = {
            **keep,
            "DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "USER_ID_SALT": "test-salt",
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SECRET,
            "PORT": str(self.port),
            "LOG_LEVEL": "INFO",
        }
        self.env = env
        self.process = QabotProcess(["slack", "--http"], env, tmp_path / f"{name}.log")
        self.modes: list[tuple[float, str]] = []  # (seconds since start, /healthz "matching")

    async def start(self) -> None:
        await self.fake.start()
        self.process.env["SLACK_API_URL"] = self.fake.api_url
        await self.process.start()

    async def watch_until(self, http: aiohttp.ClientSession, mode: str, within: float) -> float:
        """Poll /healthz from the moment it answers until ``mode`` is on; seconds since the
        first answer."""
        first: float | None = None

        async def on() -> bool | None:
            nonlocal first
            try:
                async with http.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                    seen = (await response.json())["matching"]
            except (aiohttp.ClientError, OSError):
                if not self.process.running:
                    raise AssertionError(self.process.output()) from None
                return None
            now = time.monotonic() - self.process.started
            first = now if first is None else first
            if not self.modes or self.modes[-1][1] != seen:
                self.modes.append((now, seen))
            return True if seen == mode else None

        await eventually(on, within, pause=0.02)
        assert first is not None
        return self.modes[-1][0] - first

    async def metrics(self, http: aiohttp.ClientSession) -> str:
        async with http.get(f"http://127.0.0.1:{self.port}/metrics") as response:
            return await response.text()

    async def stop(self) -> None:
        await self.process.stop()
        await self.fake.close()

    def logged_at(self, text: str) -> dt.datetime:
        """When the first log line holding ``text`` was written."""
        for line in self.process.output().splitlines():
            if text in line:
                return dt.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
        raise AssertionError(f"{text!r} not logged:\n{self.process.output()}")

    def switched_after_start(self) -> float:
        """Seconds from the worker's start line (answering) to the sentence model on; 0 when
        it was on before the worker took its first question."""
        started = self.logged_at("slack worker started")
        switched = self.logged_at(f"matching: {SENTENCE_MODEL} on")
        return max(0.0, (switched - started).total_seconds())

    def launched_to_switch(self) -> float:
        """Seconds from launching the process to the sentence model on (Python's start too)."""
        first = self.logged_at(" ")  # the first line: the process is up
        return (self.logged_at(f"matching: {SENTENCE_MODEL} on") - first).total_seconds()


async def test_the_matching_on_is_reported_and_a_restart_reuses_the_vectors(
    tmp_path: Path, database_url: str
) -> None:
    data = tmp_path / "data"
    async with aiohttp.ClientSession() as http:
        first = Worker(tmp_path, data, database_url, "first")
        await first.start()
        try:
            encoding = await first.watch_until(http, SENTENCE_MODEL, within=120)
            metrics = await first.metrics(http)
        finally:
            await first.stop()
        out = first.process.output()
        assert first.modes[0][1] == WORD_VECTORS, first.modes  # at once
        assert first.modes[-1][1] == SENTENCE_MODEL
        assert (
            "matching: lexical + meaning (word-vectors; all-MiniLM-L6-v2-int8 once the entries "
            "are encoded)" in out
        )
        assert "encoding " in out and f"knowledge texts with {SENTENCE_MODEL}" in out
        assert f"matching: {SENTENCE_MODEL} on (entries encoded)" in out
        assert f'qabot_matching{{mode="{SENTENCE_MODEL}"}} 1.0' in metrics
        assert f'qabot_matching{{mode="{WORD_VECTORS}"}} 0.0' in metrics
        TIMINGS.note("first start: sentence model on after /healthz answered", encoding)
        TIMINGS.note("  (after the start line)", first.switched_after_start())

        # A restart with the same DATA_DIR: the vectors are on disk.
        warm = Worker(tmp_path, data, database_url, "warm")
        await warm.start()
        try:
            await warm.watch_until(http, SENTENCE_MODEL, within=30)
        finally:
            await warm.stop()
        assert "knowledge texts with" not in warm.process.output()  # nothing encoded
        TIMINGS.add(
            "restart, same DATA_DIR: on after the start line", warm.switched_after_start(), 2
        )
        TIMINGS.note("  (from the first log line of the process)", warm.launched_to_switch())

        # A wiped disk: an empty DATA_DIR, the same database.
        wiped = Worker(tmp_path, tmp_path / "wiped", database_url, "wiped")
        await wiped.start()
        try:
            await wiped.watch_until(http, SENTENCE_MODEL, within=30)
        finally:
            await wiped.stop()
        out = wiped.process.output()
        assert "knowledge texts with" not in out, out  # nothing encoded again
        assert re.search(r"read \d+ cached vectors from the database", out), out
        TIMINGS.add(
            "restart, wiped DATA_DIR, DATABASE_URL: on after the start line",
            wiped.switched_after_start(),
            2,
        )
        TIMINGS.note("  (from the first log line of the process)", wiped.launched_to_switch())
    print(TIMINGS.report(), database_url.split(":")[0])
