"""Question log, feedback and settings: version 1 of the hand-written runner, as it was.

Revision ID: 0001
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None


def upgrade() -> None:
    op.create_table(
        "schema_migrations",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "question_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("workspace", sa.String(64)),
        sa.Column("channel", sa.String(64)),
        sa.Column("user_hash", sa.String(64)),
        sa.Column("question", sa.String(2000), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("entry_id", sa.String(300)),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
    )
    op.create_index("ix_question_log_asked_at", "question_log", ["asked_at"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "log_id",
            sa.Integer,
            sa.ForeignKey("question_log.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("user_hash", sa.String(64), nullable=False),
        sa.Column("vote", sa.String(8), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("log_id", "user_hash", name="uq_feedback_log_user"),
    )
    _record_legacy_version(1, "question log, feedback and settings")


def _record_legacy_version(version: int, name: str) -> None:
    # What the hand-written runner would have recorded, so old and new databases look alike.
    table = sa.table(
        "schema_migrations",
        sa.column("version", sa.Integer),
        sa.column("name", sa.String),
        sa.column("applied_at", sa.DateTime(timezone=True)),
    )
    now = dt.datetime.now(dt.UTC)
    op.bulk_insert(table, [{"version": version, "name": name, "applied_at": now}])


def downgrade() -> None:
    raise NotImplementedError("qabot migrates forward only; restore a backup to go back")
