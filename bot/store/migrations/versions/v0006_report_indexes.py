"""Indexes for ``qabot report`` at a million questions, each read by one aggregate.

- ``(asked_at, outcome, channel)`` replaces ``(asked_at)``: questions per day and outcome from
  the index alone (pruning still finds old rows by ``asked_at``);
- ``(outcome, entry_id, asked_at, channel)``: answers per entry, already grouped;
- ``(latency_ms, asked_at, channel)``: SQLite's latency percentiles read the n-th row in
  latency order instead of sorting the window (PostgreSQL uses ``percentile_cont``).

Without them SQLite reads every row of the window through ``(asked_at)`` in random order (log
ids are random): 15-19 s per aggregate at a million rows. See docs/operations.md.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.drop_index("ix_question_log_asked_at", table_name="question_log")
    op.create_index(
        "ix_question_log_asked_at_outcome", "question_log", ["asked_at", "outcome", "channel"]
    )
    op.create_index(
        "ix_question_log_outcome_entry",
        "question_log",
        ["outcome", "entry_id", "asked_at", "channel"],
    )
    op.create_index(
        "ix_question_log_latency", "question_log", ["latency_ms", "asked_at", "channel"]
    )


def downgrade() -> None:
    raise NotImplementedError("qabot migrates forward only; restore a backup to go back")
