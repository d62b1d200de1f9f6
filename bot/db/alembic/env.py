"""Alembic's environment: run by bot/db/schema_upgrade.py on a connection it passes in (already
inside the transaction that holds the migration lock), never from a config file's URL."""

from __future__ import annotations

from alembic import context

from bot.db.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite too: the whole upgrade is one transaction (BEGIN IMMEDIATE), all or nothing.
    transactional_ddl=True,
    render_as_batch=connection.dialect.name == "sqlite",
)
context.run_migrations()
