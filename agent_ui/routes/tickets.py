"""Tickets over HTTP: list, open, read, work (status, assignment, forwarding, comments), the
overdue and backlog figures, and the SLA policies (admins edit them).

    GET  /api/tickets?status=&mine=&my_departments=&department_id=&customer_id=&overdue=
    POST /api/tickets                          GET  /api/tickets/{id}
    GET  /api/tickets/{id}/history             POST /api/tickets/{id}/status
    POST /api/tickets/{id}/assign              POST /api/tickets/{id}/forward
    POST /api/tickets/{id}/comments
    GET  /api/tickets/figures?at=              GET  /api/tickets/backlog?from=&to=&by=day
    GET  /api/sla-policies                     PUT/DELETE /api/sla-policies/{category}/{priority}

A ticket is visible exactly when its customer is; one the user may not see answers 404 like a
missing one. Errors: see `agent_ui.service_deps`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from acd.clock import to_datetime
from agent_ui.deps import AdminUser, ContextDep, CurrentUser
from agent_ui.service_deps import UNPROCESSABLE, CrmSettings, Tickets, service_errors
from agent_ui.service_schemas import (
    AssignIn,
    BacklogRowOut,
    CommentIn,
    ForwardIn,
    SlaPolicyIn,
    SlaPolicyOut,
    StatusChangeIn,
    TicketCreate,
    TicketEventOut,
    TicketFiguresOut,
    TicketOut,
    TicketPageOut,
)
from crm_core.backlog import Bucket
from crm_core.ticket_rules import TicketStatus
from crm_core.ticket_views import PAGE_MAX, TicketQuery

router = APIRouter(tags=["tickets"])


@router.get("/api/tickets")
def list_tickets(
    user: CurrentUser,
    tickets: Tickets,
    status_: Annotated[list[TicketStatus] | None, Query(alias="status")] = None,
    mine: bool = False,
    my_departments: bool = False,
    department_id: int | None = None,
    customer_id: int | None = None,
    overdue: bool = False,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 50,
) -> TicketPageOut:
    """The tickets the user may see, matching every given filter, newest first."""
    query = TicketQuery(
        statuses=frozenset(status_ or ()),
        mine=mine,
        my_departments=my_departments,
        department_id=department_id,
        customer_id=customer_id,
        overdue=overdue,
        offset=offset,
        limit=limit,
    )
    return TicketPageOut.model_validate(tickets.list_tickets(user, query))


@router.post("/api/tickets", status_code=status.HTTP_201_CREATED)
def create_ticket(body: TicketCreate, user: CurrentUser, tickets: Tickets) -> TicketOut:
    """Open a ticket for a customer the user can see; due times follow the SLA policy."""
    with service_errors():
        return TicketOut.model_validate(tickets.create(user, body.to_draft()))


@router.get("/api/tickets/figures")
def ticket_figures(
    user: CurrentUser, tickets: Tickets, context: ContextDep, at: datetime | None = None
) -> TicketFiguresOut:
    """Backlog and overdue counts now, or at `at` (an ISO time with offset)."""
    if at is not None and at.tzinfo is None:
        detail = "give `at` with a time-zone offset, e.g. 2025-01-06T09:00:00+08:00"
        raise HTTPException(UNPROCESSABLE, detail=detail)
    with service_errors():
        backlog = tickets.backlog_count(user, at)
        overdue = tickets.overdue_count(user, at)
    instant = at if at is not None else to_datetime(context.clock.now())
    return TicketFiguresOut(at=instant, backlog=backlog, overdue=overdue)


@router.get("/api/tickets/backlog")
def ticket_backlog(
    user: CurrentUser,
    tickets: Tickets,
    context: ContextDep,
    first: Annotated[date, Query(alias="from")],
    last: Annotated[date, Query(alias="to")],
    by: Bucket = Bucket.DAY,
) -> list[BacklogRowOut]:
    """Created, resolved, reopened and backlog per local day, week or month."""
    timezone = context.center.center.timezone
    with service_errors():
        rows = tickets.backlog_growth(user, first, last, by, timezone)
    return [BacklogRowOut.model_validate(row) for row in rows]


@router.get("/api/tickets/{ticket_id}")
def get_ticket(ticket_id: int, user: CurrentUser, tickets: Tickets) -> TicketOut:
    """One ticket."""
    with service_errors():
        return TicketOut.model_validate(tickets.get(user, ticket_id))


@router.get("/api/tickets/{ticket_id}/history")
def ticket_history(ticket_id: int, user: CurrentUser, tickets: Tickets) -> list[TicketEventOut]:
    """The ticket's history, oldest first."""
    with service_errors():
        return [TicketEventOut.model_validate(e) for e in tickets.history(user, ticket_id)]


@router.post("/api/tickets/{ticket_id}/status")
def change_status(
    ticket_id: int, body: StatusChangeIn, user: CurrentUser, tickets: Tickets
) -> TicketOut:
    """Move the ticket to another status (409 when the state machine has no such step)."""
    with service_errors():
        return TicketOut.model_validate(
            tickets.change_status(user, ticket_id, TicketStatus(body.status), body.note)
        )


@router.post("/api/tickets/{ticket_id}/assign")
def assign_ticket(ticket_id: int, body: AssignIn, user: CurrentUser, tickets: Tickets) -> TicketOut:
    """Assign the ticket (agents: take it or release it; leads: anyone of its department)."""
    with service_errors():
        return TicketOut.model_validate(tickets.assign(user, ticket_id, body.assignee_user_id))


@router.post("/api/tickets/{ticket_id}/forward")
def forward_ticket(
    ticket_id: int, body: ForwardIn, user: CurrentUser, tickets: Tickets
) -> TicketOut:
    """Send the ticket to another department, unassigned; its customer is shared there."""
    with service_errors():
        return TicketOut.model_validate(
            tickets.forward(user, ticket_id, body.department_id, body.note)
        )


@router.post("/api/tickets/{ticket_id}/comments", status_code=status.HTTP_201_CREATED)
def comment_ticket(
    ticket_id: int, body: CommentIn, user: CurrentUser, tickets: Tickets
) -> TicketEventOut:
    """Add a comment to the ticket."""
    with service_errors():
        return TicketEventOut.model_validate(tickets.comment(user, ticket_id, body.text))


@router.get("/api/sla-policies")
def list_sla_policies(_user: CurrentUser, settings: CrmSettings) -> list[SlaPolicyOut]:
    """Every SLA policy ('*' is any category or priority)."""
    return [SlaPolicyOut.of(policy) for policy in settings.sla_policies()]


@router.put("/api/sla-policies/{category}/{priority}")
def put_sla_policy(
    category: str, priority: str, body: SlaPolicyIn, admin: AdminUser, settings: CrmSettings
) -> SlaPolicyOut:
    """Add or replace the policy of a category and priority (admins)."""
    with service_errors():
        policy = body.to_policy(category.strip().lower(), priority.strip().lower())
        return SlaPolicyOut.of(settings.put_sla_policy(admin, policy))


@router.delete("/api/sla-policies/{category}/{priority}", status_code=status.HTTP_204_NO_CONTENT)
def delete_sla_policy(
    category: str, priority: str, admin: AdminUser, settings: CrmSettings
) -> None:
    """Remove a policy (admins); tickets already open keep their due times."""
    with service_errors():
        settings.delete_sla_policy(admin, category.strip().lower(), priority.strip().lower())
