"""Ticket rows in and out of the database: visible selects, views, history, due-time upkeep,
and the side effects of a change (timeline entry, customer shared on forwarding).

Every query for people starts from `visible_tickets(viewer)`: tickets joined to their customer and
filtered by `crm_core.visibility.visible_customers_clause`, in SQL, so a ticket is visible exactly
when its customer is. `viewer=None` is the system (reports over everything, the auto-close).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, func, or_, select
from sqlalchemy.orm import Session

from crm_core.audit import record_audit
from crm_core.backlog import ResolutionTarget, TicketHistory
from crm_core.business_time import CONTINUOUS, BusinessCalendar, WorkingTime
from crm_core.customer_errors import DepartmentNotFound
from crm_core.customer_models import Customer, CustomerShare, Department, DepartmentMember
from crm_core.models import User
from crm_core.service_models import Ticket, TicketEvent
from crm_core.sla import due_at, pauses_from
from crm_core.ticket_rules import ACTIVE_STATUSES, TicketPriority, TicketRuleError, TicketStatus
from crm_core.ticket_views import TicketEventView, TicketNotFound, TicketQuery, TicketView
from crm_core.timeline import TimelineKind, append_entry
from crm_core.visibility import Viewer, visible_customers_clause

MINUTE = timedelta(minutes=1)
ACTIVE_VALUES = tuple(s.value for s in ACTIVE_STATUSES)
STATUS_KINDS = ("created", "status")
_STATUSES = {status.value: status for status in TicketStatus}


def visible_tickets(viewer: Viewer | None) -> Select[Ticket]:
    """All tickets `viewer` may see (None: every ticket)."""
    query = select(Ticket)
    if viewer is None:
        return query
    return query.join(Customer, Customer.id == Ticket.customer_id).where(
        visible_customers_clause(viewer)
    )


def load_visible(
    session: Session, viewer: Viewer | None, ticket_id: int, *, for_update: bool = False
) -> Ticket:
    """The ticket if `viewer` may see it; TicketNotFound otherwise. Locked if `for_update`."""
    query = visible_tickets(viewer).where(Ticket.id == ticket_id)
    if for_update:
        # Two people changing one ticket at once: the second waits and sees the first's change.
        query = query.with_for_update(of=Ticket)
    ticket = session.scalar(query)
    if ticket is None:
        raise TicketNotFound(ticket_id)
    return ticket


def filtered(
    query: Select[Ticket], filters: TicketQuery, viewer: Viewer, now: datetime
) -> Select[Ticket]:
    """`query` narrowed by every filter given."""
    if filters.statuses:
        query = query.where(Ticket.status.in_([s.value for s in filters.statuses]))
    if filters.mine:
        query = query.where(Ticket.assignee_user_id == viewer.id)
    if filters.my_departments:
        mine = select(DepartmentMember.department_id).where(DepartmentMember.user_id == viewer.id)
        query = query.where(Ticket.department_id.in_(mine))
    if filters.department_id is not None:
        query = query.where(Ticket.department_id == filters.department_id)
    if filters.customer_id is not None:
        query = query.where(Ticket.customer_id == filters.customer_id)
    if filters.overdue:
        query = query.where(overdue_clause(now))
    return query


def overdue_clause(now: datetime) -> Any:
    """Tickets overdue at `now`: still active, resolution due time in the past."""
    return Ticket.status.in_(ACTIVE_VALUES) & (Ticket.resolution_due_at < now)


def count(session: Session, query: Select[Ticket]) -> int:
    """How many rows `query` selects."""
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def view(ticket: Ticket, now: datetime) -> TicketView:
    """The public view of a ticket row, `overdue` as of `now`."""
    status = TicketStatus(ticket.status)
    due = ticket.resolution_due_at
    return TicketView(
        id=ticket.id,
        customer_id=ticket.customer_id,
        subject=ticket.subject,
        description=ticket.description,
        category=ticket.category,
        priority=TicketPriority(ticket.priority),
        status=status,
        department_id=ticket.department_id,
        assignee_user_id=ticket.assignee_user_id,
        created_by_user_id=ticket.created_by_user_id,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        response_minutes=ticket.response_minutes,
        resolution_minutes=ticket.resolution_minutes,
        business_hours=ticket.business_hours,
        response_due_at=ticket.response_due_at,
        first_response_at=ticket.first_response_at,
        resolution_due_at=due,
        resolved_at=ticket.resolved_at,
        closed_at=ticket.closed_at,
        overdue=status in ACTIVE_STATUSES and due is not None and due < now,
    )


def event_view(event: TicketEvent) -> TicketEventView:
    """The public view of a history row."""
    return TicketEventView(
        id=event.id,
        ticket_id=event.ticket_id,
        at=event.at,
        kind=event.kind,
        actor_user_id=event.actor_user_id,
        status=None if event.status is None else TicketStatus(event.status),
        note=event.note,
        data=dict(event.data),
    )


def add_event(
    session: Session,
    ticket: Ticket,
    *,
    at: datetime,
    actor_id: int | None,
    kind: str,
    status: TicketStatus | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one entry to the ticket's history."""
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=at,
            actor_user_id=actor_id,
            kind=kind,
            status=None if status is None else status.value,
            note=note,
            data=dict(data or {}),
        )
    )


def working_for(ticket: Ticket, calendar: BusinessCalendar) -> WorkingTime:
    """How the ticket's SLA clock counts time."""
    return calendar if ticket.business_hours else CONTINUOUS


def status_changes(session: Session, ticket_id: int) -> list[tuple[datetime, TicketStatus]]:
    """The ticket's status changes after creation, oldest first."""
    rows = session.execute(
        select(TicketEvent.at, TicketEvent.status)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "status")
        .order_by(TicketEvent.at, TicketEvent.id)
    )
    return [(at, TicketStatus(status)) for at, status in rows if status is not None]


def refresh_resolution_due(session: Session, ticket: Ticket, calendar: BusinessCalendar) -> None:
    """Recompute the resolution due time from the history (None while its clock is stopped)."""
    session.flush()
    pauses = pauses_from(status_changes(session, ticket.id))
    target = ticket.resolution_minutes * MINUTE
    working = working_for(ticket, calendar)
    ticket.resolution_due_at = due_at(ticket.created_at, target, pauses, working)


def in_backlog_clause(at: datetime) -> Any:
    """Tickets in the backlog at `at`: created before it, newest status before it active."""
    last_status = (
        select(TicketEvent.status)
        .where(
            TicketEvent.ticket_id == Ticket.id,
            TicketEvent.kind.in_(STATUS_KINDS),
            TicketEvent.at < at,
        )
        .order_by(TicketEvent.at.desc(), TicketEvent.id.desc())
        .limit(1)
        .correlate(Ticket)
        .scalar_subquery()
    )
    return (
        (Ticket.created_at < at)
        & may_matter_since(at)  # cheap, prunes most rows before the subquery runs
        & last_status.in_(ACTIVE_VALUES)
    )


def may_matter_since(since: datetime) -> Any:
    """Tickets active now or changed since `since` (`updated_at`, which every change sets).

    Every ticket in the backlog at `since` is one of these: still active, or resolved since.
    """
    return or_(Ticket.status.in_(ACTIVE_VALUES), Ticket.updated_at >= since)


def backlog_count(session: Session, viewer: Viewer | None, at: datetime) -> int:
    """Tickets in the backlog at `at`, counted in SQL."""
    return count(session, visible_tickets(viewer).where(in_backlog_clause(at)))


def load_histories(
    session: Session,
    viewer: Viewer | None,
    created_before: datetime,
    calendar: BusinessCalendar,
    *,
    relevant_from: datetime | None = None,
) -> list[TicketHistory]:
    """The histories of the visible tickets created before `created_before`, for backlog figures.

    With `relevant_from`, only the tickets that `may_matter_since` then: the others were created
    and done before it and add nothing to any figure from then on (their +1 and -1 cancel).
    Reads plain columns, not ORM objects: reports load tens of thousands of tickets.
    """
    tickets = visible_tickets(viewer).where(Ticket.created_at < created_before)
    if relevant_from is not None:
        tickets = tickets.where(may_matter_since(relevant_from))
    ids = tickets.with_only_columns(Ticket.id).scalar_subquery()
    changes: dict[int, list[tuple[datetime, TicketStatus]]] = defaultdict(list)
    rows = session.execute(
        select(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.status)
        .where(TicketEvent.ticket_id.in_(ids), TicketEvent.kind == "status")
        .order_by(TicketEvent.at, TicketEvent.id)
    )
    for ticket_id, at, status in rows:
        if status is not None:
            changes[ticket_id].append((at, _STATUSES[status]))
    columns = tickets.with_only_columns(
        Ticket.id, Ticket.created_at, Ticket.resolution_minutes, Ticket.business_hours
    ).order_by(Ticket.id)
    targets: dict[tuple[int, bool], ResolutionTarget] = {}
    histories = []
    for ticket_id, created_at, minutes, business_hours in session.execute(columns):
        key = (minutes, business_hours)
        if key not in targets:
            working = calendar if business_hours else CONTINUOUS
            targets[key] = ResolutionTarget(minutes * MINUTE, working)
        history = TicketHistory(
            ticket_id, created_at, tuple(changes.get(ticket_id, ())), targets[key]
        )
        histories.append(history)
    return histories


def require_department(session: Session, department_id: int) -> Department:
    """The department; DepartmentNotFound if there is none."""
    department = session.get(Department, department_id)
    if department is None:
        raise DepartmentNotFound(f"no department {department_id}")
    return department


def may_be_assigned(session: Session, user_id: int, ticket: Ticket) -> bool:
    """True when the user may take the ticket: a member of its department, if it has one.

    TicketRuleError when there is no such active user at all.
    """
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise TicketRuleError(f"no active user {user_id}")
    if ticket.department_id is None:
        return True
    return session.get(DepartmentMember, (ticket.department_id, user_id)) is not None


def user_name(session: Session, user_id: int) -> str:
    """A user's display name, for timeline summaries."""
    user = session.get(User, user_id)
    return user.display_name if user is not None else f"user {user_id}"


def share_customer(
    session: Session, ticket: Ticket, department_id: int, actor_id: int | None, now: datetime
) -> None:
    """Share the ticket's customer with a department (audited), unless it already is."""
    if session.get(CustomerShare, (ticket.customer_id, department_id)) is not None:
        return
    session.add(
        CustomerShare(customer_id=ticket.customer_id, department_id=department_id, shared_at=now)
    )
    data = {
        "customer_id": ticket.customer_id,
        "department_id": department_id,
        "reason": "ticket.forward",
        "ticket_id": ticket.id,
    }
    record_audit(session, at=now, actor_user_id=actor_id, action="customer.share", data=data)


def write_timeline(
    session: Session, ticket: Ticket, actor_id: int | None, now: datetime, what: str
) -> None:
    """Put "Ticket #id <what>" on the customer's timeline, with the ticket's state as data."""
    append_entry(
        session,
        customer_id=ticket.customer_id,
        kind=TimelineKind.TICKET,
        at=now,
        summary=f"Ticket #{ticket.id} {what}",
        author_user_id=actor_id,
        ref=str(ticket.id),
        data={
            "ticket_id": ticket.id,
            "status": ticket.status,
            "priority": ticket.priority,
            "category": ticket.category,
            "department_id": ticket.department_id,
            "assignee_user_id": ticket.assignee_user_id,
        },
    )


@dataclass(frozen=True, slots=True)
class OpenTicket:
    """An open ticket as a screen-pop lists it; JSON-ready (times as ISO text)."""

    id: int
    subject: str
    status: str
    priority: str
    created_at: str
    resolution_due_at: str | None
    assignee_user_id: int | None


_OPEN_TICKET_COLUMNS = (
    Ticket.id,
    Ticket.subject,
    Ticket.status,
    Ticket.priority,
    Ticket.created_at,
    Ticket.resolution_due_at,
    Ticket.assignee_user_id,
)


def open_tickets_of(
    reader: Session | Connection, customer_id: int, limit: int = 10
) -> list[OpenTicket]:
    """The customer's newest tickets still in the backlog, for `caller_lookup`'s screen-pop
    (columns only, so a plain connection serves as well as a session).

    No visibility check: the caller looked the customer up with the viewer's visibility already.
    """
    rows = reader.execute(
        select(*_OPEN_TICKET_COLUMNS)
        .where(Ticket.customer_id == customer_id, Ticket.status.in_(ACTIVE_VALUES))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return [_open_ticket(*row) for row in rows]


def _open_ticket(
    ticket_id: int, subject: str, status: str, priority: str, created: datetime,
    due: datetime | None, assignee: int | None,
) -> OpenTicket:  # fmt: skip
    return OpenTicket(
        id=ticket_id,
        subject=subject,
        status=status,
        priority=priority,
        created_at=created.isoformat(),
        resolution_due_at=None if due is None else due.isoformat(),
        assignee_user_id=assignee,
    )
