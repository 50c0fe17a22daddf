"""Alembic's environment and revisions; ``bot.store.migrate`` runs them (no alembic.ini)."""
