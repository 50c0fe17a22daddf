"""The feedback loop: picks, alias proposals, mentor requests and the weekly digest's ledger.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"

_LOG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "picks",
        sa.Column("id", _LOG_ID, primary_key=True, autoincrement=False),
        sa.Column("picked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(64)),
        sa.Column("user_hash", sa.String(64)),
        sa.Column("log_id", sa.BigInteger),
        sa.Column("question", sa.String(2000)),
        sa.Column("entry_id", sa.String(300), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
    )
    op.create_index("ix_picks_picked_at", "picks", ["picked_at"])
    op.create_table(
        "alias_proposals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("wording_key", sa.String(64), nullable=False),
        sa.Column("wording", sa.String(500), nullable=False),
        sa.Column("entry_id", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("wording_key", "entry_id", name="uq_alias_proposals_pair"),
    )
    op.create_table(
        "alias_proposers",
        sa.Column("proposal_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("user_hash", sa.String(64), primary_key=True),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "mentor_requests",
        sa.Column("log_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(64)),
        sa.Column("thread_ref", sa.String(200)),
        sa.Column("user_hash", sa.String(64), nullable=False),
        sa.Column("question", sa.String(2000), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True)),
        sa.Column("message_ref", sa.String(200)),
    )
    op.create_index("ix_mentor_requests_user", "mentor_requests", ["user_hash", "requested_at"])
    op.create_table(
        "digest_posts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("iso_week", sa.String(10), nullable=False),
        sa.Column("claim_token", sa.String(40), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True)),
        sa.Column("message_ref", sa.String(200)),
        sa.UniqueConstraint("platform", "channel", "iso_week", name="uq_digest_posts_week"),
    )


def downgrade() -> None:
    raise NotImplementedError("qabot migrates forward only; restore a backup to go back")
