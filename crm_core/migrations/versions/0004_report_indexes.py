"""Report indexes: a partial covering index on call_events for the reports' read of queue events.

Reports read ENTERQUEUE, CONNECT, ABANDON and EXIT* events of a window (seq, at, call_id, kind,
queue). With this index the database answers that from the index alone, instead of
visiting every matching row of the event log (which also holds the JSON data and every other
kind of event). It covers only those kinds, so it stays a fraction of the table's size.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_call_events_queue_report"
COLUMNS = ["kind", "at", "seq", "call_id", "queue"]
# Frozen copy of the model's predicate: the report's query names the kinds in the same order.
QUEUE_KINDS = (
    "kind IN ('ENTERQUEUE', 'CONNECT', 'ABANDON', 'EXITWITHTIMEOUT', 'EXITFULL', 'EXITEMPTY')"
)


def upgrade() -> None:
    """Create the covering index of queue events."""
    op.create_index(
        INDEX,
        "call_events",
        COLUMNS,
        sqlite_where=sa.text(QUEUE_KINDS),
        postgresql_where=sa.text(QUEUE_KINDS),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_index(INDEX, table_name="call_events")
