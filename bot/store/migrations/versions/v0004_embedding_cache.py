"""The sentence model's entry vectors, kept in the database for hosts that wipe their disk.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "embedding_cache",
        sa.Column("model_key", sa.String(200), primary_key=True),
        sa.Column("text_key", sa.String(64), primary_key=True),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_embedding_cache_used_at", "embedding_cache", ["used_at"])


def downgrade() -> None:
    raise NotImplementedError("qabot migrates forward only; restore a backup to go back")
