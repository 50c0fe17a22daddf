"""Processed events and weekly tip posts: version 2 of the hand-written runner, as it was.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "processed_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("platform", "event_id", name="uq_processed_events_key"),
    )
    op.create_index("ix_processed_events_claimed_at", "processed_events", ["claimed_at"])
    op.create_table(
        "tip_posts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("iso_week", sa.String(10), nullable=False),
        sa.Column("entry_id", sa.String(300), nullable=False),
        sa.Column("claim_token", sa.String(40), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True)),
        sa.Column("message_ref", sa.String(200)),
        sa.UniqueConstraint("platform", "channel", "iso_week", name="uq_tip_posts_week"),
    )
    _record_legacy_version(2, "processed events and weekly tip posts")


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
