"""The audit log: one row per sensitive change (transfers, merges, shares, duplicate overrides).

Entries are written in the same transaction as the change they describe, so a change without its
audit record (or the reverse) cannot be committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.customer_models import AuditEntry


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit entry as the rest of Hotline sees it."""

    id: int
    at: datetime
    actor_user_id: int | None
    action: str
    data: dict[str, Any]


def record_audit(
    session: Session,
    *,
    at: datetime,
    actor_user_id: int | None,
    action: str,
    data: dict[str, Any],
) -> int:
    """Add an audit entry in the caller's transaction; returns its id."""
    entry = AuditEntry(at=at, actor_user_id=actor_user_id, action=action, data=data)
    session.add(entry)
    session.flush()
    return entry.id


def audit_entries(
    session: Session, action: str | None = None, limit: int = 100
) -> list[AuditRecord]:
    """The newest audit entries (of one action, if given)."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return [
        AuditRecord(e.id, e.at, e.actor_user_id, e.action, dict(e.data))
        for e in session.scalars(query)
    ]
