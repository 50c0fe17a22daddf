"""Log ids chosen by the process: 64-bit ids, and votes no longer tied by a foreign key.

The answer's 👍/👎 buttons carry the log id before the row is written (writes are queued), so
the id is a random 63-bit integer from the process, and a vote may reach the database before
its answer's row. Records version 3 in ``schema_migrations`` so that a qabot from before
Alembic refuses this database instead of writing to it.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()
    op.create_index("ix_feedback_voted_at", "feedback", ["voted_at"])
    table = sa.table(
        "schema_migrations",
        sa.column("version", sa.Integer),
        sa.column("name", sa.String),
        sa.column("applied_at", sa.DateTime(timezone=True)),
    )
    note = "later versions are Alembic revisions (alembic_version)"
    op.bulk_insert(table, [{"version": 3, "name": note, "applied_at": dt.datetime.now(dt.UTC)}])


def _postgresql() -> None:
    for fk in sa.inspect(op.get_bind()).get_foreign_keys("feedback"):
        if fk["referred_table"] == "question_log" and fk["name"]:
            op.drop_constraint(fk["name"], "feedback", type_="foreignkey")
    op.alter_column("question_log", "id", type_=sa.BigInteger, server_default=None)
    op.execute("DROP SEQUENCE IF EXISTS question_log_id_seq")
    op.alter_column("feedback", "log_id", type_=sa.BigInteger)


def _sqlite() -> None:
    # question_log.id is an INTEGER PRIMARY KEY, already 64-bit; feedback is rebuilt without
    # its foreign key (SQLite cannot drop one in place). Rebuilding the child table never
    # cascades to question_log.
    feedback = sa.Table(
        "feedback",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("log_id", sa.BigInteger, nullable=False),
        sa.Column("user_hash", sa.String(64), nullable=False),
        sa.Column("vote", sa.String(8), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("log_id", "user_hash", name="uq_feedback_log_user"),
    )
    with op.batch_alter_table("feedback", copy_from=feedback, recreate="always"):
        pass


def downgrade() -> None:
    raise NotImplementedError("qabot migrates forward only; restore a backup to go back")
