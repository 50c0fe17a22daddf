"""Persistent state in SQLite (default) or PostgreSQL, through SQLAlchemy 2 async Core."""

from __future__ import annotations

from bot.store.clean import stored_entry_id
from bot.store.migrate import LATEST_VERSION
from bot.store.rows import (
    EventClaim,
    EventRelease,
    PickRow,
    PickVia,
    QuestionRow,
    Row,
    VoteRow,
    hash_user,
    new_log_id,
)
from bot.store.store import LoggedQuestion, LogRecord, Outcome, Pruned, Store, Vote, utc
from bot.store.tip_ledger import TipClaim, TipLedger, TipRecord
from bot.store.url import normalise_database_url

__all__ = [
    "LATEST_VERSION",
    "EventClaim",
    "EventRelease",
    "LogRecord",
    "LoggedQuestion",
    "Outcome",
    "PickRow",
    "PickVia",
    "Pruned",
    "QuestionRow",
    "Row",
    "Store",
    "TipClaim",
    "TipLedger",
    "TipRecord",
    "Vote",
    "VoteRow",
    "hash_user",
    "new_log_id",
    "normalise_database_url",
    "stored_entry_id",
    "utc",
]
