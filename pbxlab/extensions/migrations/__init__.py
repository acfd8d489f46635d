"""Alembic migrations of the extensions database (run by the store on open)."""
