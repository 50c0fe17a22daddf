"""Helpers shared by the store tests: isolated databases, an injected clock, tip entries."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import datetime as dt
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.models import Entry
from bot.settings import CoreSettings, load_core_settings
from bot.store import Store, normalise_database_url
from bot.store.engine import create_engine

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REPO = Path(__file__).resolve().parents[2]


@functools.cache
def postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""

    async def probe() -> None:
        engine = create_engine(normalise_database_url(PG_URL, Path()), connect_args={"timeout": 3})
        try:
            async with engine.connect():
                pass
        finally:
            await engine.dispose()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        try:
            pool.submit(asyncio.run, probe()).result()
        except Exception as exc:
            return f"PostgreSQL at {PG_URL} unreachable: {type(exc).__name__}: {exc}"
    return None


@dataclass
class Database:
    """One isolated database for a test; ``store()`` opens a new engine (a new 'process')."""

    backend: str
    url: str  # as a user would write DATABASE_URL
    data_dir: Path
    connect_args: dict[str, Any] = field(default_factory=dict)
    opened: list[Store] = field(default_factory=list)

    def store(self) -> Store:
        store = Store.connect(self.url, self.data_dir, connect_args=self.connect_args)
        self.opened.append(store)
        return store

    def settings(self, **changes: Any) -> CoreSettings:
        # The word vectors: these tests are about state, and the sentence model takes a second.
        base = load_core_settings(
            {
                "DATABASE_URL": self.url,
                "DATA_DIR": str(self.data_dir),
                "EMBEDDING_MODEL": "word-vectors",
            }
        )
        return dataclasses.replace(base, **changes)


class Clock:
    """An injected clock that only moves when the test says so."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass(frozen=True)
class Knowledge:
    """The tip source: entries plus the optional curated order."""

    entries: tuple[Entry, ...]
    curated_tips: tuple[str, ...] = ()

    @property
    def tip_entries(self) -> tuple[Entry, ...]:
        return self.entries


def entry(n: int) -> Entry:
    return Entry(
        id=f"webinars/01-test#q{n}",
        question=f"Question {n}?",
        answer=f"Answer {n}.",
        source_title="Webinar 1: Test",
        source_url=f"https://example.com/w1#q{n}",
        path="webinars/01-test.md",
        line=n,
    )
