"""Tickets (service requests): open one with its SLA due times, work it, forward it, report on it.

`TicketService` applies the rules of `crm_core.ticket_rules` (who may change what) and
`crm_core.sla` (due times, the clock stopping while pending) to the tables of
`crm_core.service_models`. Every change writes a history entry and an entry on the customer's
timeline in the same transaction. A ticket is visible exactly when its customer is; a ticket the
viewer may not see is reported as not found.

Forwarding a ticket to a department also shares its customer with that department (audited as
`customer.share` with the ticket named), so the department's members can see what they were sent.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import Clock, to_datetime
from config.center import HoursDef
from crm_core import ticket_store as store
from crm_core.backlog import BacklogRow, Bucket, backlog_growth, overdue_at, report_window
from crm_core.business_time import BusinessCalendar
from crm_core.customer_errors import CustomerNotFound
from crm_core.service_models import Ticket, TicketEvent
from crm_core.service_settings import load_sla_policies
from crm_core.sla import select_policy, working_time
from crm_core.ticket_rules import (
    DEFAULT_AUTO_CLOSE_AFTER,
    SYSTEM,
    Actor,
    TicketFacts,
    TicketStatus,
    plan_assignment,
    plan_forward,
    plan_status_change,
)
from crm_core.ticket_views import (
    PAGE_MAX,
    TicketDraft,
    TicketEventView,
    TicketPage,
    TicketQuery,
    TicketView,
    ValidTicketDraft,
    clean_note,
    validate_draft,
)
from crm_core.visibility import Viewer, customer_is_visible

ALWAYS_OPEN = BusinessCalendar(HoursDef(), "UTC")


def _actor(viewer: Viewer) -> Actor:
    return Actor(user_id=viewer.id, role=viewer.role)


def _facts(ticket: Ticket) -> TicketFacts:
    return TicketFacts(TicketStatus(ticket.status), ticket.assignee_user_id, ticket.department_id)


class TicketService:
    """Creates, works, forwards and lists tickets; computes overdue and backlog figures."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        calendar: BusinessCalendar = ALWAYS_OPEN,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._calendar = calendar

    def create(self, actor: Viewer, draft: TicketDraft) -> TicketView:
        """Open a ticket for a customer `actor` can see; due times come from the SLA policy."""
        valid = validate_draft(draft)
        now = self._now()
        with self._sessions.begin() as session:
            if not customer_is_visible(session, actor, valid.customer_id):
                raise CustomerNotFound(valid.customer_id)
            if valid.department_id is not None:
                store.require_department(session, valid.department_id)
            ticket = self._insert(session, valid, actor, now)
            store.add_event(
                session,
                ticket,
                at=now,
                actor_id=actor.id,
                kind="created",
                status=TicketStatus.NEW,
                data=_created_data(valid),
            )
            if valid.assignee_user_id is not None:
                facts = TicketFacts(TicketStatus.NEW, None, valid.department_id)
                self._assign(session, ticket, facts, valid.assignee_user_id, actor, now)
            store.write_timeline(session, ticket, actor.id, now, f"opened: {ticket.subject}")
            return store.view(ticket, now)

    def get(self, viewer: Viewer, ticket_id: int) -> TicketView:
        """The ticket; TicketNotFound if there is none the viewer may see."""
        with self._sessions() as session:
            return store.view(store.load_visible(session, viewer, ticket_id), self._now())

    def history(self, viewer: Viewer, ticket_id: int) -> list[TicketEventView]:
        """The ticket's history, oldest first."""
        with self._sessions() as session:
            store.load_visible(session, viewer, ticket_id)
            events = session.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket_id)
                .order_by(TicketEvent.at, TicketEvent.id)
            )
            return [store.event_view(event) for event in events]

    def change_status(
        self, actor: Viewer, ticket_id: int, to: TicketStatus | str, note: str = ""
    ) -> TicketView:
        """Move the ticket to status `to` (TransitionNotAllowed, NotPermitted per the rules)."""
        target = TicketStatus(to)
        text = clean_note(note, required=False)
        now = self._now()
        with self._sessions.begin() as session:
            ticket = store.load_visible(session, actor, ticket_id, for_update=True)
            before = _facts(ticket)
            plan = plan_status_change(before, target, _actor(actor))
            self._apply_status(session, ticket, before.status, target, actor.id, now, text)
            if plan.assignee_id != before.assignee_id:
                self._record_assignment(session, ticket, plan.assignee_id, actor, now)
            summary = f"{before.status} → {target}"
            store.write_timeline(session, ticket, actor.id, now, summary)
            return store.view(ticket, now)

    def assign(self, actor: Viewer, ticket_id: int, assignee_id: int | None) -> TicketView:
        """Assign the ticket to a user of its department, or unassign it (None)."""
        now = self._now()
        with self._sessions.begin() as session:
            ticket = store.load_visible(session, actor, ticket_id, for_update=True)
            self._assign(session, ticket, _facts(ticket), assignee_id, actor, now)
            who = "nobody" if assignee_id is None else store.user_name(session, assignee_id)
            store.write_timeline(session, ticket, actor.id, now, f"assigned to {who}")
            return store.view(ticket, now)

    def forward(
        self, actor: Viewer, ticket_id: int, department_id: int, note: str = ""
    ) -> TicketView:
        """Send the ticket to another department: unassigned there, its customer shared."""
        text = clean_note(note, required=False)
        now = self._now()
        with self._sessions.begin() as session:
            ticket = store.load_visible(session, actor, ticket_id, for_update=True)
            department = store.require_department(session, department_id)
            plan = plan_forward(_facts(ticket), department_id, _actor(actor))
            data = {
                "from_department_id": ticket.department_id,
                "to_department_id": department_id,
                "from_assignee_user_id": ticket.assignee_user_id,
            }
            ticket.department_id = plan.department_id
            ticket.assignee_user_id = plan.assignee_id
            ticket.updated_at = now
            store.add_event(
                session, ticket, at=now, actor_id=actor.id, kind="forwarded", note=text, data=data
            )
            store.share_customer(session, ticket, department_id, actor.id, now)
            store.write_timeline(session, ticket, actor.id, now, f"forwarded to {department.name}")
            return store.view(ticket, now)

    def comment(self, actor: Viewer, ticket_id: int, text: str) -> TicketEventView:
        """Add a comment; the first comment counts as the first response."""
        note = clean_note(text, required=True)
        now = self._now()
        with self._sessions.begin() as session:
            ticket = store.load_visible(session, actor, ticket_id, for_update=True)
            if ticket.first_response_at is None:
                ticket.first_response_at = now
            ticket.updated_at = now
            event = TicketEvent(
                ticket_id=ticket.id,
                at=now,
                actor_user_id=actor.id,
                kind="comment",
                note=note,
                data={},
            )
            session.add(event)
            session.flush()
            store.write_timeline(session, ticket, actor.id, now, f"comment: {note}")
            return store.event_view(event)

    def close_resolved(self, after: timedelta = DEFAULT_AUTO_CLOSE_AFTER) -> list[int]:
        """The auto-close: the system closes tickets resolved at least `after` ago; their ids."""
        now = self._now()
        cutoff = now - after
        with self._sessions.begin() as session:
            due = session.scalars(
                select(Ticket)
                .where(Ticket.status == TicketStatus.RESOLVED.value, Ticket.resolved_at <= cutoff)
                .order_by(Ticket.id)
                .with_for_update()
            ).all()
            for ticket in due:
                plan_status_change(_facts(ticket), TicketStatus.CLOSED, SYSTEM)
                self._apply_status(
                    session, ticket, TicketStatus.RESOLVED, TicketStatus.CLOSED, None, now, None
                )
                store.write_timeline(session, ticket, None, now, "closed automatically")
            return [ticket.id for ticket in due]

    def list_tickets(self, viewer: Viewer, query: TicketQuery | None = None) -> TicketPage:
        """The tickets matching `query` (default: all) that `viewer` may see, newest first."""
        query = query or TicketQuery()
        now = self._now()
        limit = max(1, min(query.limit, PAGE_MAX))
        with self._sessions() as session:
            selected = store.filtered(store.visible_tickets(viewer), query, viewer, now)
            total = store.count(session, selected)
            rows = session.scalars(
                selected.order_by(Ticket.created_at.desc(), Ticket.id.desc())
                .offset(max(0, query.offset))
                .limit(limit)
            )
            return TicketPage(tuple(store.view(row, now) for row in rows), total)

    # --- figures ---------------------------------------------------------------------------

    def overdue_count(self, viewer: Viewer | None, at: datetime | None = None) -> int:
        """Visible tickets overdue now (one SQL count) or, given `at`, overdue at that time."""
        with self._sessions() as session:
            if at is None:
                query = store.visible_tickets(viewer).where(store.overdue_clause(self._now()))
                return store.count(session, query)
            # Only tickets in the backlog at `at` can be overdue then.
            histories = store.load_histories(session, viewer, at, self._calendar, relevant_from=at)
            return len(overdue_at(histories, at))

    def backlog_count(self, viewer: Viewer | None, at: datetime | None = None) -> int:
        """Visible tickets in the backlog now (by their status) or at `at`, counted in SQL."""
        with self._sessions() as session:
            if at is None:
                query = store.visible_tickets(viewer).where(Ticket.status.in_(store.ACTIVE_VALUES))
                return store.count(session, query)
            return store.backlog_count(session, viewer, at)

    def backlog_growth(
        self, viewer: Viewer | None, first: date, last: date, bucket: Bucket, timezone: str
    ) -> list[BacklogRow]:
        """Backlog rows per day, week or month from `first` to `last` (local dates)."""
        start, end = report_window(first, last, bucket, timezone)
        with self._sessions() as session:
            histories = store.load_histories(
                session, viewer, end, self._calendar, relevant_from=start
            )
        return backlog_growth(histories, first, last, bucket, timezone)

    # --- helpers ---------------------------------------------------------------------------

    def _insert(
        self, session: Session, valid: ValidTicketDraft, actor: Viewer, now: datetime
    ) -> Ticket:
        policy = select_policy(load_sla_policies(session), valid.category, valid.priority)
        working = working_time(policy, self._calendar)
        response = policy.response
        ticket = Ticket(
            customer_id=valid.customer_id,
            subject=valid.subject,
            description=valid.description,
            category=valid.category,
            priority=valid.priority.value,
            status=TicketStatus.NEW.value,
            department_id=valid.department_id,
            assignee_user_id=None,
            created_by_user_id=actor.id,
            created_at=now,
            updated_at=now,
            response_minutes=None if response is None else response // store.MINUTE,
            resolution_minutes=policy.resolution // store.MINUTE,
            business_hours=policy.business_hours,
            response_due_at=None if response is None else working.advance(now, response),
            first_response_at=None,
            resolution_due_at=working.advance(now, policy.resolution),
            resolved_at=None,
            closed_at=None,
        )
        session.add(ticket)
        session.flush()
        return ticket

    def _apply_status(
        self,
        session: Session,
        ticket: Ticket,
        before: TicketStatus,
        target: TicketStatus,
        actor_id: int | None,
        now: datetime,
        note: str | None,
    ) -> None:
        ticket.status = target.value
        ticket.updated_at = now
        if before is TicketStatus.NEW and ticket.first_response_at is None:
            ticket.first_response_at = now
        if target is TicketStatus.RESOLVED:
            ticket.resolved_at = now
        elif target is TicketStatus.CLOSED:
            ticket.closed_at = now
        else:
            ticket.resolved_at = None
        store.add_event(
            session,
            ticket,
            at=now,
            actor_id=actor_id,
            kind="status",
            status=target,
            note=note,
            data={"from": before.value},
        )
        store.refresh_resolution_due(session, ticket, self._calendar)

    def _assign(
        self,
        session: Session,
        ticket: Ticket,
        facts: TicketFacts,
        assignee_id: int | None,
        actor: Viewer,
        now: datetime,
    ) -> None:
        member = assignee_id is not None and store.may_be_assigned(session, assignee_id, ticket)
        plan_assignment(facts, assignee_id, _actor(actor), assignee_in_department=member)
        self._record_assignment(session, ticket, assignee_id, actor, now)

    def _record_assignment(
        self,
        session: Session,
        ticket: Ticket,
        assignee_id: int | None,
        actor: Viewer,
        now: datetime,
    ) -> None:
        data = {"from": ticket.assignee_user_id, "to": assignee_id}
        ticket.assignee_user_id = assignee_id
        ticket.updated_at = now
        store.add_event(session, ticket, at=now, actor_id=actor.id, kind="assigned", data=data)

    def _now(self) -> datetime:
        return to_datetime(self._clock.now())


def _created_data(valid: ValidTicketDraft) -> dict[str, Any]:
    return {
        "category": valid.category,
        "priority": valid.priority.value,
        "department_id": valid.department_id,
    }
