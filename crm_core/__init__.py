"""Customers, users and the durable records: call records and call events (SQLAlchemy + Alembic)."""
