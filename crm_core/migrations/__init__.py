"""Alembic migrations of the Hotline database (run them with `hotline db upgrade`)."""
