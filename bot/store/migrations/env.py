"""Alembic's environment: runs the revisions on the connection ``bot.store.migrate`` hands over.

That connection is already in a transaction and holds the migration lock, so every revision
runs in it. SQLite gets batch mode, which rebuilds a table for the ALTERs it cannot do.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection


def run() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run the migrations with `qabot db upgrade`, which opens the database")
    context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


run()
