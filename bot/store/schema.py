"""The tables of the current schema version (SQLAlchemy Core), shared by queries and migrations."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

QUESTION_MAX_CHARS = 2000

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

settings = Table(
    "settings",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

question_log = Table(
    "question_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asked_at", DateTime(timezone=True), nullable=False),
    Column("platform", String(32), nullable=False),
    Column("workspace", String(64)),
    Column("channel", String(64)),
    Column("user_hash", String(64)),
    Column("question", String(QUESTION_MAX_CHARS), nullable=False),
    Column("outcome", String(16), nullable=False),  # "answered" | "abstained"
    Column("entry_id", String(300)),
    Column("score", Float, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Index("ix_question_log_asked_at", "asked_at"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("log_id", Integer, ForeignKey("question_log.id", ondelete="CASCADE"), nullable=False),
    Column("user_hash", String(64), nullable=False),
    Column("vote", String(8), nullable=False),  # "up" | "down"
    Column("voted_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("log_id", "user_hash", name="uq_feedback_log_user"),
)

processed_events = Table(
    "processed_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("platform", "event_id", name="uq_processed_events_key"),
    Index("ix_processed_events_claimed_at", "claimed_at"),
)

tip_posts = Table(
    "tip_posts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("iso_week", String(10), nullable=False),
    Column("entry_id", String(300), nullable=False),
    Column("claim_token", String(40), nullable=False),  # identifies the claimant
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("posted_at", DateTime(timezone=True)),
    Column("message_ref", String(200)),
    UniqueConstraint("platform", "channel", "iso_week", name="uq_tip_posts_week"),
)
