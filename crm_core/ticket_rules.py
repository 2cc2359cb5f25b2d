"""The rules of a ticket's life: its statuses, which changes are allowed, and who may make them.

    new ──▶ open ◀──▶ pending
     │        │          │
     └──────▶ resolved ◀─┘ ──▶ closed
              │    ▲
              └────┘ reopen (resolved ─▶ open)

`new` means nobody has taken the ticket up yet; `pending` means waiting on the customer (the
service-level clock stops, see `crm_core.sla`); `resolved` can still be reopened; `closed` is final
(a customer coming back about it gets a new ticket). Transitions are data (`TRANSITIONS`), and each
`plan_*` function checks one requested change against the rules and says what it would do, without
touching any store: the ticket service applies the plan and writes the history.

Who may do what (visibility of the customer is checked before, by the service):
- admins and supervisors: every allowed change, on any ticket;
- agents: status changes, forwarding and releasing on tickets that are unassigned or theirs; an
  agent working an unassigned ticket takes it (becomes its assignee); an agent may assign a ticket
  only to themselves (take it); agents cannot close (closing follows a review or the auto-close);
- the system (no user): the auto-close (resolved → closed) and resuming a pending ticket when the
  customer answers (pending → open).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from crm_core.service_errors import NotPermitted as NotPermitted  # re-exported
from crm_core.users import Role


class TicketStatus(StrEnum):
    """Where a ticket stands."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class TicketPriority(StrEnum):
    """How urgent a ticket is; SLA policies may differ per priority."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


# Statuses in which work is outstanding: these tickets make up the backlog.
ACTIVE_STATUSES = frozenset({TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING})
DONE_STATUSES = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})

TRANSITIONS: Mapping[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.NEW: frozenset({TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.RESOLVED}),
    TicketStatus.OPEN: frozenset({TicketStatus.PENDING, TicketStatus.RESOLVED}),
    TicketStatus.PENDING: frozenset({TicketStatus.OPEN, TicketStatus.RESOLVED}),
    TicketStatus.RESOLVED: frozenset({TicketStatus.OPEN, TicketStatus.CLOSED}),
    TicketStatus.CLOSED: frozenset(),
}
SYSTEM_TRANSITIONS = frozenset(
    {
        (TicketStatus.RESOLVED, TicketStatus.CLOSED),
        (TicketStatus.PENDING, TicketStatus.OPEN),
    }
)
CLOSING_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR})
DEFAULT_AUTO_CLOSE_AFTER = timedelta(days=7)


class TicketRuleError(ValueError):
    """The requested change makes no sense for this ticket (wrong status, nothing to change)."""


class TransitionNotAllowed(TicketRuleError):
    """The state machine has no such transition from the ticket's status."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change: a user with a role, or the system itself (no user)."""

    user_id: int | None
    role: Role | None

    @property
    def is_system(self) -> bool:
        """True for automatic changes (auto-close, customer replied)."""
        return self.user_id is None

    @property
    def is_lead(self) -> bool:
        """True for admins and supervisors, who may change any ticket they can see."""
        return self.role in CLOSING_ROLES


SYSTEM = Actor(user_id=None, role=None)


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What the rules need to know about a ticket."""

    status: TicketStatus
    assignee_id: int | None
    department_id: int | None


@dataclass(frozen=True, slots=True)
class StatusPlan:
    """The outcome of an allowed status change: the new status and the assignee after it."""

    status: TicketStatus
    assignee_id: int | None


@dataclass(frozen=True, slots=True)
class ForwardPlan:
    """The outcome of an allowed forward: the new department, no assignee."""

    department_id: int
    assignee_id: None = None


def allowed_next(status: TicketStatus) -> frozenset[TicketStatus]:
    """The statuses a ticket may move to from `status`."""
    return TRANSITIONS[status]


def plan_status_change(ticket: TicketFacts, to: TicketStatus, actor: Actor) -> StatusPlan:
    """The change of `ticket` to status `to` by `actor`, if the rules allow it.

    Raises TransitionNotAllowed for a change the state machine lacks, NotPermitted when the actor
    may not make it.
    """
    if to not in TRANSITIONS[ticket.status]:
        allowed = ", ".join(sorted(TRANSITIONS[ticket.status])) or "none (closed is final)"
        raise TransitionNotAllowed(
            f"a {ticket.status} ticket cannot become {to}; allowed: {allowed}"
        )
    if actor.is_system:
        if (ticket.status, to) not in SYSTEM_TRANSITIONS:
            raise NotPermitted(f"the system may not change a {ticket.status} ticket to {to}")
        return StatusPlan(status=to, assignee_id=ticket.assignee_id)
    if to is TicketStatus.CLOSED and not actor.is_lead:
        raise NotPermitted("only supervisors and admins close tickets")
    _require_may_work(ticket, actor)
    # An agent working an unassigned ticket takes it, so the work has an owner.
    taken = ticket.assignee_id is None and not actor.is_lead
    return StatusPlan(status=to, assignee_id=actor.user_id if taken else ticket.assignee_id)


def plan_assignment(
    ticket: TicketFacts, assignee_id: int | None, actor: Actor, *, assignee_in_department: bool
) -> int | None:
    """The assignee after `actor` assigns `ticket` to `assignee_id` (None: unassign).

    Agents may only take an unassigned ticket or release their own. The assignee must belong to
    the ticket's department (`assignee_in_department`, checked by the caller).
    """
    if ticket.status is TicketStatus.CLOSED:
        raise TransitionNotAllowed("a closed ticket cannot be assigned")
    if assignee_id == ticket.assignee_id:
        raise TicketRuleError("the ticket is already assigned so")
    if actor.is_system:
        raise NotPermitted("the system does not assign tickets")
    if not actor.is_lead:
        taking = ticket.assignee_id is None and assignee_id == actor.user_id
        releasing = ticket.assignee_id == actor.user_id and assignee_id is None
        if not (taking or releasing):
            raise NotPermitted("agents may only take unassigned tickets or release their own")
    if assignee_id is not None and not assignee_in_department:
        raise TicketRuleError("the assignee is not a member of the ticket's department")
    return assignee_id


def plan_forward(ticket: TicketFacts, to_department_id: int, actor: Actor) -> ForwardPlan:
    """Forwarding `ticket` to another department: it lands there unassigned, status unchanged."""
    if ticket.status in DONE_STATUSES:
        raise TransitionNotAllowed(f"a {ticket.status} ticket cannot be forwarded")
    if to_department_id == ticket.department_id:
        raise TicketRuleError("the ticket is already in that department")
    if actor.is_system:
        raise NotPermitted("the system does not forward tickets")
    _require_may_work(ticket, actor)
    return ForwardPlan(department_id=to_department_id)


def auto_close_due(
    resolved_at: datetime, now: datetime, after: timedelta = DEFAULT_AUTO_CLOSE_AFTER
) -> bool:
    """True when a ticket resolved at `resolved_at` has waited long enough to be closed."""
    return now - resolved_at >= after


def _require_may_work(ticket: TicketFacts, actor: Actor) -> None:
    if actor.is_lead:
        return
    if ticket.assignee_id not in (None, actor.user_id):
        raise NotPermitted("the ticket is assigned to someone else")
