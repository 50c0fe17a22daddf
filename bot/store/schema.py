"""The tables of the current schema (SQLAlchemy Core), used by queries.

The Alembic revisions in ``migrations/versions`` build this schema step by step and keep their
own frozen table definitions; a test compares the two on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

QUESTION_MAX_CHARS = 2000
ENTRY_ID_MAX_CHARS = 300
EVENT_ID_MAX_CHARS = 200

# Log ids are chosen by the process (random 63-bit), so an answer's buttons never wait on the
# database. On SQLite an INTEGER PRIMARY KEY is already 64-bit (and the rowid itself).
LogId = BigInteger().with_variant(Integer(), "sqlite")

# The hand-written runner's version table, kept so that an older qabot refuses this database.
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
    Column("id", LogId, primary_key=True, autoincrement=False),
    Column("asked_at", DateTime(timezone=True), nullable=False),
    Column("platform", String(32), nullable=False),
    Column("workspace", String(64)),
    Column("channel", String(64)),
    Column("user_hash", String(64)),
    Column("question", String(QUESTION_MAX_CHARS), nullable=False),
    Column("outcome", String(16), nullable=False),  # "answered" | "abstained"
    Column("entry_id", String(ENTRY_ID_MAX_CHARS)),
    Column("score", Float, nullable=False),
    Column("latency_ms", Float, nullable=False),
    # Each index serves one of the report's aggregates (revision 0006).
    Index("ix_question_log_asked_at_outcome", "asked_at", "outcome", "channel"),
    Index("ix_question_log_outcome_entry", "outcome", "entry_id", "asked_at", "channel"),
    Index("ix_question_log_latency", "latency_ms", "asked_at", "channel"),
)

# No foreign key to question_log: a vote may be written before its answer's row, which waits
# in another process's queue (or this one's, while the database is down).
feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("log_id", BigInteger, nullable=False),
    Column("user_hash", String(64), nullable=False),
    Column("vote", String(8), nullable=False),  # "up" | "down"
    Column("voted_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("log_id", "user_hash", name="uq_feedback_log_user"),
    Index("ix_feedback_voted_at", "voted_at"),
)

processed_events = Table(
    "processed_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("event_id", String(EVENT_ID_MAX_CHARS), nullable=False),
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
    Column("entry_id", String(ENTRY_ID_MAX_CHARS), nullable=False),
    Column("claim_token", String(40), nullable=False),  # identifies the claimant
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("posted_at", DateTime(timezone=True)),
    Column("message_ref", String(200)),
    UniqueConstraint("platform", "channel", "iso_week", name="uq_tip_posts_week"),
)

# Sentence-model vectors of knowledge entries, so a host that wipes its disk need not
# re-encode the knowledge at every start.
embedding_cache = Table(
    "embedding_cache",
    metadata,
    Column("model_key", String(200), primary_key=True),
    Column("text_key", String(64), primary_key=True),
    Column("vector", LargeBinary, nullable=False),  # float32 or float16, as the caller packs it
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=False),  # last read, at day precision
    Index("ix_embedding_cache_used_at", "used_at"),
)

# A member's choice of an entry (a suggestion after a miss, a correction, autocomplete): kept
# apart from questions, so the answer rate counts only questions. ``question`` is the wording
# the member had asked, when there was one.
picks = Table(
    "picks",
    metadata,
    Column("id", LogId, primary_key=True, autoincrement=False),
    Column("picked_at", DateTime(timezone=True), nullable=False),
    Column("platform", String(32), nullable=False),
    Column("channel", String(64)),
    Column("user_hash", String(64)),
    Column("log_id", BigInteger),  # the question the pick followed, if any
    Column("question", String(QUESTION_MAX_CHARS)),
    Column("entry_id", String(ENTRY_ID_MAX_CHARS), nullable=False),
    Column("via", String(16), nullable=False),  # "suggestion" | "correction" | "autocomplete"
    Index("ix_picks_picked_at", "picked_at"),
)

# A wording members used for an entry, proposed as its alias; the host accepts or rejects it.
alias_proposals = Table(
    "alias_proposals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("wording_key", String(64), nullable=False),  # hash of the normalised wording
    Column("wording", String(500), nullable=False),
    Column("entry_id", String(ENTRY_ID_MAX_CHARS), nullable=False),
    Column("status", String(16), nullable=False),  # "pending" | "accepted" | "rejected"
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True)),
    UniqueConstraint("wording_key", "entry_id", name="uq_alias_proposals_pair"),
)

# Who made a proposal: one row per member, so a proposal counts members, not clicks.
alias_proposers = Table(
    "alias_proposers",
    metadata,
    Column("proposal_id", Integer, primary_key=True, autoincrement=False),
    Column("user_hash", String(64), primary_key=True),
    Column("proposed_at", DateTime(timezone=True), nullable=False),
)

# "Ask a mentor": one per answered-or-missed question (its log id), rate-limited per member.
mentor_requests = Table(
    "mentor_requests",
    metadata,
    Column("log_id", BigInteger, primary_key=True, autoincrement=False),
    Column("platform", String(32), nullable=False),
    Column("channel", String(64)),
    Column("thread_ref", String(200)),
    Column("user_hash", String(64), nullable=False),
    Column("question", String(QUESTION_MAX_CHARS), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("notified_at", DateTime(timezone=True)),
    Column("message_ref", String(200)),
    Index("ix_mentor_requests_user", "user_hash", "requested_at"),
)

# The weekly host digest's ledger: exactly once per platform, channel and ISO week.
digest_posts = Table(
    "digest_posts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("iso_week", String(10), nullable=False),
    Column("claim_token", String(40), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("posted_at", DateTime(timezone=True)),
    Column("message_ref", String(200)),
    UniqueConstraint("platform", "channel", "iso_week", name="uq_digest_posts_week"),
)
