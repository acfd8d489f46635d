"""Alembic environment: the store hands over its open connection; nothing is read from disk."""

from __future__ import annotations

from alembic import context

from pbxlab.extensions.dbschema import metadata

connection = context.config.attributes["connection"]
# batch mode: SQLite can only ALTER TABLE by copying it, Alembic does that for us
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
