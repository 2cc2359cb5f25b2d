"""Merging a duplicate customer into the one to keep, without losing anything.

Everything of the merged customer moves to the kept one: phones and emails (exact duplicates of
the kept customer's are dropped and listed in the audit record), contacts, tags, department
shares, timeline entries, and every row of any other table whose foreign key points at
`customers.id` (tickets, opportunities, orders: found through `crm_core.tables.metadata`, so new
tables follow without changes here). The merged customer stays, marked `merged_into_id`, so old
references still resolve. Supervisors and admins merge customers they can see; audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Column, Table, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import Clock, to_datetime
from crm_core.audit import record_audit
from crm_core.customer_errors import CustomerNotFound, NotAllowed
from crm_core.customer_models import (
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerShare,
    CustomerTag,
)
from crm_core.customer_store import load_detail
from crm_core.customer_views import CustomerDetail
from crm_core.tables import metadata
from crm_core.timeline import TimelineKind, append_entry
from crm_core.users import Role
from crm_core.visibility import Viewer, visible_customers_clause

MERGE_ACTION = "customer.merge"
_PointT = TypeVar("_PointT", CustomerPhone, CustomerEmail)
# Tables whose rows cannot simply be re-pointed (set semantics or duplicates to drop).
_SPECIAL = frozenset(
    {"customers", "customer_tags", "customer_shares", "customer_phones", "customer_emails"}
)


class InvalidMerge(ValueError):
    """The merge cannot be done (same customer, or one already merged away)."""


@dataclass(frozen=True, slots=True)
class MergeResult:
    """The kept customer after the merge, and the id of the audit record."""

    kept: CustomerDetail
    merged_id: int
    audit_id: int


class CustomerMergeService:
    """Merges one customer into another, in one transaction."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def merge(self, actor: Viewer, keep_id: int, merge_id: int) -> MergeResult:
        """Move everything of `merge_id` to `keep_id` and mark it merged (see the module doc)."""
        if Role(actor.role) is Role.AGENT:
            raise NotAllowed("only supervisors and admins merge customers")
        if keep_id == merge_id:
            raise InvalidMerge("a customer cannot be merged into itself")
        with self._sessions.begin() as session:
            keep, gone = _live(session, actor, keep_id), _live(session, actor, merge_id)
            now = to_datetime(self._clock.now())
            report = _move_contact_points(session, keep_id, merge_id)
            _union_sets(session, keep_id, merge_id)
            report["moved"] = _repoint_references(session, keep_id, merge_id)
            _combine_fields(keep, gone, now)
            append_entry(
                session,
                customer_id=keep_id,
                kind=TimelineKind.SYSTEM,
                at=now,
                summary=f"customer {merge_id} ({gone.name}) merged into this one",
                author_user_id=actor.id,
                data={"merged_id": merge_id},
            )
            audit_id = record_audit(
                session,
                at=now,
                actor_user_id=actor.id,
                action=MERGE_ACTION,
                data={
                    "kept_id": keep_id,
                    "merged_id": merge_id,
                    "merged_owner_user_id": gone.owner_user_id,
                    **report,
                },
            )
            session.flush()
            kept = load_detail(session, keep_id)
            assert kept is not None  # locked above, in this transaction
            return MergeResult(kept, merge_id, audit_id)


def _live(session: Session, actor: Viewer, customer_id: int) -> Customer:
    query = select(Customer).where(Customer.id == customer_id, visible_customers_clause(actor))
    customer = session.scalar(query.with_for_update())
    if customer is None:
        raise CustomerNotFound(customer_id)
    if customer.merged_into_id is not None:
        raise InvalidMerge(f"customer {customer_id} was already merged into another")
    return customer


def _move_contact_points(session: Session, keep_id: int, merge_id: int) -> dict[str, Any]:
    """Move phones and emails; drop (and report) those the kept customer already has."""
    return {
        "dropped_phones": _move_rows(session, CustomerPhone, keep_id, merge_id),
        "dropped_emails": _move_rows(session, CustomerEmail, keep_id, merge_id),
    }


def _move_rows(
    session: Session,
    model: type[_PointT],
    keep_id: int,
    merge_id: int,
) -> list[str]:
    """Re-point the rows; a customer-level row the kept customer has already is deleted."""
    kept = {_key(row) for row in session.scalars(select(model).where(model.customer_id == keep_id))}
    dropped: list[str] = []
    for row in session.scalars(select(model).where(model.customer_id == merge_id)):
        if row.contact_id is None and _key(row) in kept:
            dropped.append(_key(row)[0])
            session.delete(row)
        else:
            row.customer_id = keep_id
    session.flush()
    return dropped


def _key(row: CustomerPhone | CustomerEmail) -> tuple[str, str | None]:
    if isinstance(row, CustomerPhone):
        return (row.e164, row.extension)
    return (row.email, None)


def _union_sets(session: Session, keep_id: int, merge_id: int) -> None:
    """Tags and shares of both, once each."""
    kept_tags = set(
        session.scalars(select(CustomerTag.tag).where(CustomerTag.customer_id == keep_id))
    )
    tags = list(session.scalars(select(CustomerTag.tag).where(CustomerTag.customer_id == merge_id)))
    kept_shares = set(
        session.scalars(
            select(CustomerShare.department_id).where(CustomerShare.customer_id == keep_id)
        )
    )
    shares = list(
        session.scalars(select(CustomerShare).where(CustomerShare.customer_id == merge_id))
    )
    moved_shares = [(s.department_id, s.shared_at) for s in shares]
    session.execute(delete(CustomerTag).where(CustomerTag.customer_id == merge_id))
    session.execute(delete(CustomerShare).where(CustomerShare.customer_id == merge_id))
    session.add_all(CustomerTag(customer_id=keep_id, tag=t) for t in tags if t not in kept_tags)
    session.add_all(
        CustomerShare(customer_id=keep_id, department_id=d, shared_at=at)
        for d, at in moved_shares
        if d not in kept_shares
    )
    session.flush()


def _repoint_references(session: Session, keep_id: int, merge_id: int) -> dict[str, int]:
    """Every other column referencing customers.id: from the merged customer to the kept one."""
    moved: dict[str, int] = {}
    for table, column in customer_references():
        result = session.execute(
            update(table).where(column == merge_id).values({column.name: keep_id})
        )
        moved[f"{table.name}.{column.name}"] = int(result.rowcount)  # type: ignore[attr-defined]
    # Customers merged into the merged one earlier now point at the kept one.
    session.execute(
        update(Customer).where(Customer.merged_into_id == merge_id).values(merged_into_id=keep_id)
    )
    return moved


def customer_references() -> list[tuple[Table, Column[Any]]]:
    """(table, column) of every foreign key to customers.id outside the specially merged tables."""
    found: list[tuple[Table, Column[Any]]] = []
    for table in metadata.sorted_tables:
        if table.name in _SPECIAL:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "customers" and fk.column.name == "id":
                found.append((table, fk.parent))
    return found


def _combine_fields(keep: Customer, gone: Customer, now: datetime) -> None:
    """The kept customer's fields win; the merged one fills what is missing."""
    keep.vip_level = max(keep.vip_level, gone.vip_level)
    keep.city = keep.city or gone.city
    keep.region = keep.region or gone.region
    keep.custom_fields = {**gone.custom_fields, **keep.custom_fields}
    keep.updated_at = now
    gone.merged_into_id = keep.id
    gone.updated_at = now
