"""Persistent state in SQLite (default) or PostgreSQL, through SQLAlchemy 2 async Core."""

from __future__ import annotations

from bot.store.migrations import LATEST_VERSION
from bot.store.store import LoggedQuestion, LogRecord, Outcome, Pruned, Store, Vote, utc
from bot.store.tip_ledger import TipClaim, TipLedger, TipRecord
from bot.store.url import normalise_database_url

__all__ = [
    "LATEST_VERSION",
    "LogRecord",
    "LoggedQuestion",
    "Outcome",
    "Pruned",
    "Store",
    "TipClaim",
    "TipLedger",
    "TipRecord",
    "Vote",
    "normalise_database_url",
    "utc",
]
