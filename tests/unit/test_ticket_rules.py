"""Ticket rules: the status state machine, who may change what, assignment and forwarding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm_core.ticket_rules import (
    SYSTEM,
    TRANSITIONS,
    Actor,
    NotPermitted,
    TicketFacts,
    TicketRuleError,
    TicketStatus,
    TransitionNotAllowed,
    allowed_next,
    auto_close_due,
    plan_assignment,
    plan_forward,
    plan_status_change,
)
from crm_core.users import Role

pytestmark = pytest.mark.unit

S = TicketStatus
ALICE = Actor(user_id=1, role=Role.AGENT)
BOB = Actor(user_id=2, role=Role.AGENT)
LEAD = Actor(user_id=3, role=Role.SUPERVISOR)
ADMIN = Actor(user_id=4, role=Role.ADMIN)
SUPPORT, BILLING = 10, 20


def ticket(
    status: S = S.NEW, assignee: int | None = None, dept: int | None = SUPPORT
) -> TicketFacts:
    return TicketFacts(status=status, assignee_id=assignee, department_id=dept)


# --- the state machine --------------------------------------------------------------------------


def test_the_usual_life_of_a_ticket_is_allowed_step_by_step() -> None:
    path = [S.OPEN, S.PENDING, S.OPEN, S.RESOLVED, S.OPEN, S.RESOLVED, S.CLOSED]
    current = ticket(assignee=LEAD.user_id)
    for status in path:
        plan = plan_status_change(current, status, LEAD)
        current = TicketFacts(plan.status, plan.assignee_id, current.department_id)
    assert current.status is S.CLOSED


ALL_PAIRS = [(a, b) for a in S for b in S]


@pytest.mark.parametrize(("current", "to"), [p for p in ALL_PAIRS if p[1] not in TRANSITIONS[p[0]]])
def test_given_a_transition_not_in_the_table_then_it_is_refused_for_everyone(
    current: S, to: S
) -> None:
    for actor in (ALICE, LEAD, ADMIN, SYSTEM):
        with pytest.raises(TransitionNotAllowed, match=f"cannot become {to}"):
            plan_status_change(ticket(current), to, actor)


def test_closed_is_final() -> None:
    assert allowed_next(S.CLOSED) == frozenset()
    with pytest.raises(TransitionNotAllowed, match="closed is final"):
        plan_status_change(ticket(S.CLOSED), S.OPEN, ADMIN)


def test_a_ticket_can_be_resolved_straight_from_new_on_first_contact() -> None:
    assert plan_status_change(ticket(), S.RESOLVED, ALICE).status is S.RESOLVED


# --- who may change the status ------------------------------------------------------------------


def test_given_an_unassigned_ticket_when_an_agent_opens_it_then_they_take_it() -> None:
    plan = plan_status_change(ticket(), S.OPEN, ALICE)
    assert (plan.status, plan.assignee_id) == (S.OPEN, ALICE.user_id)


def test_given_a_supervisor_changes_an_unassigned_ticket_then_it_stays_unassigned() -> None:
    assert plan_status_change(ticket(), S.OPEN, LEAD).assignee_id is None


def test_given_a_ticket_of_another_agent_then_an_agent_may_not_change_it() -> None:
    with pytest.raises(NotPermitted, match="someone else"):
        plan_status_change(ticket(S.OPEN, assignee=BOB.user_id), S.RESOLVED, ALICE)


def test_leads_may_change_tickets_assigned_to_others_and_keep_the_assignee() -> None:
    plan = plan_status_change(ticket(S.OPEN, assignee=BOB.user_id), S.RESOLVED, LEAD)
    assert (plan.status, plan.assignee_id) == (S.RESOLVED, BOB.user_id)


@pytest.mark.parametrize("actor", [ALICE, BOB])
def test_agents_cannot_close_even_their_own_tickets(actor: Actor) -> None:
    with pytest.raises(NotPermitted, match="only supervisors and admins close"):
        plan_status_change(ticket(S.RESOLVED, assignee=actor.user_id), S.CLOSED, actor)


@pytest.mark.parametrize("actor", [LEAD, ADMIN])
def test_supervisors_and_admins_close_resolved_tickets(actor: Actor) -> None:
    assert plan_status_change(ticket(S.RESOLVED, assignee=1), S.CLOSED, actor).status is S.CLOSED


def test_an_agent_may_reopen_their_resolved_ticket() -> None:
    plan = plan_status_change(ticket(S.RESOLVED, assignee=ALICE.user_id), S.OPEN, ALICE)
    assert plan.status is S.OPEN


def test_the_system_may_auto_close_and_resume_pending_tickets_only() -> None:
    assert plan_status_change(ticket(S.RESOLVED, assignee=1), S.CLOSED, SYSTEM).assignee_id == 1
    assert plan_status_change(ticket(S.PENDING), S.OPEN, SYSTEM).status is S.OPEN
    with pytest.raises(NotPermitted, match="system"):
        plan_status_change(ticket(S.OPEN), S.RESOLVED, SYSTEM)


def test_auto_close_is_due_after_the_waiting_time() -> None:
    resolved = datetime(2025, 1, 6, tzinfo=UTC)
    assert not auto_close_due(resolved, resolved + timedelta(days=6, hours=23))
    assert auto_close_due(resolved, resolved + timedelta(days=7))
    assert auto_close_due(resolved, resolved + timedelta(hours=2), after=timedelta(hours=1))


# --- assignment ---------------------------------------------------------------------------------


def test_an_agent_may_take_an_unassigned_ticket_and_release_it_again() -> None:
    taken = plan_assignment(ticket(), ALICE.user_id, ALICE, assignee_in_department=True)
    assert taken == ALICE.user_id
    released = plan_assignment(ticket(assignee=1), None, ALICE, assignee_in_department=True)
    assert released is None


@pytest.mark.parametrize(
    ("current", "new"), [(None, BOB.user_id), (BOB.user_id, ALICE.user_id), (BOB.user_id, None)]
)
def test_an_agent_may_not_assign_others_or_take_from_others(
    current: int | None, new: int | None
) -> None:
    with pytest.raises(NotPermitted, match="agents may only take"):
        plan_assignment(ticket(assignee=current), new, ALICE, assignee_in_department=True)


def test_a_supervisor_assigns_anyone_of_the_department() -> None:
    assert plan_assignment(ticket(assignee=1), 2, LEAD, assignee_in_department=True) == 2


def test_given_an_assignee_outside_the_department_then_assignment_is_refused() -> None:
    with pytest.raises(TicketRuleError, match="not a member"):
        plan_assignment(ticket(), 2, LEAD, assignee_in_department=False)


def test_assigning_to_the_current_assignee_is_refused_as_no_change() -> None:
    with pytest.raises(TicketRuleError, match="already assigned"):
        plan_assignment(ticket(assignee=2), 2, LEAD, assignee_in_department=True)


def test_closed_tickets_cannot_be_assigned_and_the_system_never_assigns() -> None:
    with pytest.raises(TransitionNotAllowed, match="closed"):
        plan_assignment(ticket(S.CLOSED), 2, ADMIN, assignee_in_department=True)
    with pytest.raises(NotPermitted, match="system"):
        plan_assignment(ticket(), 2, SYSTEM, assignee_in_department=True)


# --- forwarding ---------------------------------------------------------------------------------


def test_forwarding_moves_the_ticket_to_the_department_unassigned() -> None:
    plan = plan_forward(ticket(S.OPEN, assignee=ALICE.user_id), BILLING, ALICE)
    assert (plan.department_id, plan.assignee_id) == (BILLING, None)


def test_a_ticket_without_department_can_be_forwarded_to_one() -> None:
    assert plan_forward(ticket(dept=None), BILLING, ALICE).department_id == BILLING


@pytest.mark.parametrize("status", [S.RESOLVED, S.CLOSED])
def test_done_tickets_are_not_forwarded(status: S) -> None:
    with pytest.raises(TransitionNotAllowed, match="cannot be forwarded"):
        plan_forward(ticket(status), BILLING, ADMIN)


def test_forwarding_to_the_same_department_is_refused() -> None:
    with pytest.raises(TicketRuleError, match="already in that department"):
        plan_forward(ticket(), SUPPORT, ADMIN)


def test_an_agent_cannot_forward_another_agents_ticket_but_a_lead_can() -> None:
    with pytest.raises(NotPermitted, match="someone else"):
        plan_forward(ticket(S.OPEN, assignee=BOB.user_id), BILLING, ALICE)
    assert plan_forward(ticket(S.OPEN, assignee=BOB.user_id), BILLING, LEAD).assignee_id is None
    with pytest.raises(NotPermitted, match="system"):
        plan_forward(ticket(), BILLING, SYSTEM)
