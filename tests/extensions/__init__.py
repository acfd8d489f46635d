"""Tests of pbxlab.extensions (store tests run on SQLite and PostgreSQL)."""
