"""TicketService on SQLite and PostgreSQL: SLA due times, the status life, assignment,
forwarding, comments, the timeline, visibility and the overdue/backlog figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from service_support import World, make_world
from sqlalchemy.orm import Session, sessionmaker

from config.center import HoursDef
from crm_core.audit import audit_entries
from crm_core.backlog import Bucket
from crm_core.business_time import BusinessCalendar
from crm_core.caller_lookup import lookup_caller
from crm_core.customer_errors import CustomerNotFound, DepartmentNotFound
from crm_core.customer_models import CustomerShare
from crm_core.service_errors import NotPermitted
from crm_core.sla import ANY, SlaPolicy
from crm_core.ticket_rules import TicketRuleError, TicketStatus, TransitionNotAllowed
from crm_core.ticket_store import open_tickets_of
from crm_core.ticket_views import (
    InvalidTicket,
    TicketDraft,
    TicketNotFound,
    TicketQuery,
    TicketView,
)

pytestmark = pytest.mark.integration

S = TicketStatus
H = timedelta(hours=1)
T0 = datetime(2024, 6, 1, 12, tzinfo=UTC)  # the world's clock start (a Saturday)


@pytest.fixture
def world(db_sessions: sessionmaker[Session]) -> World:
    return make_world(db_sessions)


def open_ticket(
    world: World, who: str = "alice", customer: str = "alice-private", **kw: object
) -> TicketView:
    draft = TicketDraft(customer_id=world.customers[customer], subject="Printer broken", **kw)  # type: ignore[arg-type]
    return world.tickets.create(world.people[who], draft)


# --- creation and SLA ---------------------------------------------------------------------------


def test_given_no_policy_when_created_then_the_default_sla_applies(world: World) -> None:
    ticket = open_ticket(world)
    assert ticket.status is S.NEW
    assert ticket.created_at == T0
    assert ticket.response_due_at == T0 + 8 * H
    assert ticket.resolution_due_at == T0 + 72 * H
    assert not ticket.overdue


def test_given_a_policy_for_category_and_priority_then_it_sets_the_due_times(world: World) -> None:
    root = world.people["root"]
    world.settings.put_sla_policy(root, SlaPolicy("billing", "urgent", 4 * H, response=H))
    world.settings.put_sla_policy(root, SlaPolicy("billing", ANY, 24 * H))
    urgent = open_ticket(world, category="Billing", priority="urgent")
    low = open_ticket(world, category="billing", priority="low")
    assert (urgent.category, urgent.resolution_due_at, urgent.response_due_at) == (
        "billing", T0 + 4 * H, T0 + H,
    )  # fmt: skip
    assert (low.resolution_due_at, low.response_due_at) == (T0 + 24 * H, None)


def test_given_a_business_hours_policy_then_due_time_skips_the_weekend(
    db_sessions: sessionmaker[Session],
) -> None:
    hours = HoursDef(weekly={d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")})
    world = make_world(db_sessions, BusinessCalendar(hours, "UTC"))
    root = world.people["root"]
    world.settings.put_sla_policy(root, SlaPolicy(ANY, ANY, 10 * H, business_hours=True))
    ticket = open_ticket(world)  # Saturday noon
    assert ticket.resolution_due_at == datetime(2024, 6, 4, 11, tzinfo=UTC)  # Mon 8 h + Tue 2 h


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"subject": "  "}, "subject"),
        ({"priority": "asap"}, "priority"),
        ({"category": "*"}, "category"),
    ],
)
def test_given_bad_fields_then_creation_is_refused_naming_the_field(
    world: World, kwargs: dict[str, str], field: str
) -> None:
    draft = {"customer_id": world.customers["alice-private"], "subject": "x", **kwargs}
    with pytest.raises(InvalidTicket) as caught:
        world.tickets.create(world.people["alice"], TicketDraft(**draft))  # type: ignore[arg-type]
    assert caught.value.field == field


def test_an_agent_cannot_open_a_ticket_for_a_customer_they_cannot_see(world: World) -> None:
    with pytest.raises(CustomerNotFound):
        open_ticket(world, who="bob", customer="alice-private")


def test_given_an_unknown_department_then_creation_is_refused(world: World) -> None:
    with pytest.raises(DepartmentNotFound):
        open_ticket(world, department_id=999)


# --- the status life ----------------------------------------------------------------------------


def test_pending_time_moves_the_due_time_and_history_records_each_step(world: World) -> None:
    alice = world.people["alice"]
    ticket = open_ticket(world)
    world.advance(3600)
    opened = world.tickets.change_status(alice, ticket.id, "open")
    assert opened.assignee_user_id == alice.id  # took it
    assert opened.first_response_at == T0 + H
    world.advance(3600)
    pending = world.tickets.change_status(alice, ticket.id, S.PENDING, note="waiting for model no.")
    assert pending.resolution_due_at is None
    world.advance(5 * 3600)
    back = world.tickets.change_status(alice, ticket.id, S.OPEN)
    assert back.resolution_due_at == T0 + 72 * H + 5 * H
    kinds = [(e.kind, e.status) for e in world.tickets.history(alice, ticket.id)]
    assert kinds == [
        ("created", S.NEW), ("status", S.OPEN), ("assigned", None), ("status", S.PENDING),
        ("status", S.OPEN),
    ]  # fmt: skip


def test_resolving_stops_the_clock_and_a_supervisor_closes(world: World) -> None:
    ticket = open_ticket(world)
    world.tickets.change_status(world.people["alice"], ticket.id, S.RESOLVED)
    with pytest.raises(NotPermitted):
        world.tickets.change_status(world.people["alice"], ticket.id, S.CLOSED)
    closed = world.tickets.change_status(world.people["sup_sales"], ticket.id, S.CLOSED)
    assert closed.closed_at == T0
    assert closed.resolved_at == T0
    with pytest.raises(TransitionNotAllowed):
        world.tickets.change_status(world.people["root"], ticket.id, S.OPEN)


def test_an_agent_cannot_work_a_ticket_assigned_to_a_colleague(world: World) -> None:
    ticket = open_ticket(world, who="bob", customer="pool")
    world.tickets.change_status(world.people["bob"], ticket.id, S.OPEN)
    with pytest.raises(NotPermitted):
        world.tickets.change_status(world.people["alice"], ticket.id, S.RESOLVED)


# --- assignment and forwarding ------------------------------------------------------------------


def test_a_supervisor_assigns_within_the_department_only(world: World) -> None:
    sales = world.departments["sales"]
    ticket = open_ticket(world, department_id=sales)
    sup = world.people["sup_sales"]
    assigned = world.tickets.assign(sup, ticket.id, world.people["bob"].id)
    assert assigned.assignee_user_id == world.people["bob"].id
    with pytest.raises(TicketRuleError, match="not a member"):
        world.tickets.assign(sup, ticket.id, world.people["carol"].id)
    with pytest.raises(TicketRuleError, match="no active user"):
        world.tickets.assign(sup, ticket.id, 9999)


def test_forwarding_clears_the_assignee_keeps_history_and_shares_the_customer(
    world: World, db_sessions: sessionmaker[Session]
) -> None:
    alice, carol = world.people["alice"], world.people["carol"]
    sales, support = world.departments["sales"], world.departments["support"]
    ticket = open_ticket(world, department_id=sales)
    world.tickets.change_status(alice, ticket.id, S.OPEN)
    with pytest.raises(TicketNotFound):
        world.tickets.get(carol, ticket.id)  # alice's private customer
    forwarded = world.tickets.forward(alice, ticket.id, support, note="needs a technician")
    assert (forwarded.department_id, forwarded.assignee_user_id) == (support, None)
    assert forwarded.status is S.OPEN
    assert world.tickets.get(carol, ticket.id).id == ticket.id  # now shared with support
    taken = world.tickets.assign(carol, ticket.id, carol.id)
    assert taken.assignee_user_id == carol.id
    event = next(e for e in world.tickets.history(carol, ticket.id) if e.kind == "forwarded")
    assert event.note == "needs a technician"
    assert event.data == {"from_department_id": sales, "to_department_id": support,
                          "from_assignee_user_id": alice.id}  # fmt: skip
    with db_sessions() as session:
        assert session.get(CustomerShare, (ticket.customer_id, support)) is not None
        shares = audit_entries(session, "customer.share")
    assert shares[0].data["ticket_id"] == ticket.id


def test_forwarding_to_the_same_or_an_unknown_department_is_refused(world: World) -> None:
    ticket = open_ticket(world, department_id=world.departments["sales"])
    with pytest.raises(TicketRuleError, match="already in that department"):
        world.tickets.forward(world.people["alice"], ticket.id, world.departments["sales"])
    with pytest.raises(DepartmentNotFound):
        world.tickets.forward(world.people["alice"], ticket.id, 999)


# --- comments and the timeline ------------------------------------------------------------------


def test_every_change_is_on_the_customer_timeline(world: World) -> None:
    alice = world.people["alice"]
    ticket = open_ticket(world)
    world.advance(60)
    event = world.tickets.comment(alice, ticket.id, "  called back, no answer ")
    assert event.note == "called back, no answer"
    assert world.tickets.get(alice, ticket.id).first_response_at == T0 + timedelta(seconds=60)
    world.advance(60)
    world.tickets.change_status(alice, ticket.id, S.RESOLVED)
    page = world.crm.timeline.read(alice, ticket.customer_id)
    tickets = [item for item in page.items if item.kind == "ticket"]
    assert [item.summary for item in tickets] == [
        f"Ticket #{ticket.id} new → resolved",
        f"Ticket #{ticket.id} comment: called back, no answer",
        f"Ticket #{ticket.id} opened: Printer broken",
    ]
    assert {item.ref for item in tickets} == {str(ticket.id)}
    assert tickets[0].data["assignee_user_id"] == alice.id  # she took it by resolving it


def test_an_empty_comment_is_refused(world: World) -> None:
    ticket = open_ticket(world)
    with pytest.raises(InvalidTicket, match="empty"):
        world.tickets.comment(world.people["alice"], ticket.id, "   ")


# --- visibility and lists -----------------------------------------------------------------------


def test_tickets_are_visible_exactly_when_their_customer_is(world: World) -> None:
    private = open_ticket(world)
    pool = open_ticket(world, who="bob", customer="pool")
    for who, expected in {
        "alice": {private.id, pool.id},
        "bob": {pool.id},
        "carol": {pool.id},
        "sup_sales": {private.id, pool.id},
        "sup_support": {pool.id},
        "root": {private.id, pool.id},
    }.items():
        page = world.tickets.list_tickets(world.people[who])
        assert {t.id for t in page.items} == expected, who
        assert page.total == len(expected)
    with pytest.raises(TicketNotFound):
        world.tickets.get(world.people["bob"], private.id)
    with pytest.raises(TicketNotFound):
        world.tickets.change_status(world.people["bob"], private.id, S.OPEN)
    with pytest.raises(TicketNotFound):
        world.tickets.comment(world.people["bob"], private.id, "peek")


def test_list_filters_mine_department_status_and_overdue(world: World) -> None:
    alice = world.people["alice"]
    sales = world.departments["sales"]
    mine = open_ticket(world, department_id=sales)
    world.tickets.change_status(alice, mine.id, S.OPEN)
    other = open_ticket(world, who="bob", customer="pool", priority="urgent")
    world.advance(80 * 3600)  # past the default 72 h
    query = world.tickets.list_tickets
    assert [t.id for t in query(alice, TicketQuery(mine=True)).items] == [mine.id]
    assert [t.id for t in query(alice, TicketQuery(my_departments=True)).items] == [mine.id]
    assert [t.id for t in query(alice, TicketQuery(statuses=frozenset({S.NEW}))).items] == [
        other.id
    ]
    overdue = query(alice, TicketQuery(overdue=True))
    assert {t.id for t in overdue.items} == {mine.id, other.id}
    assert all(t.overdue for t in overdue.items)
    page = query(alice, TicketQuery(limit=1, offset=1))
    assert (len(page.items), page.total) == (1, 2)


# --- figures ------------------------------------------------------------------------------------


def test_overdue_and_backlog_now_and_in_the_past(world: World) -> None:
    alice = world.people["alice"]
    first = open_ticket(world)
    world.advance(3600)
    second = open_ticket(world)
    world.tickets.change_status(alice, second.id, S.PENDING)
    world.advance(100 * 3600)
    world.tickets.change_status(alice, first.id, S.RESOLVED)
    root = world.people["root"]
    assert world.tickets.backlog_count(root) == 1
    assert world.tickets.backlog_count(root, T0 + H / 2) == 1
    assert world.tickets.backlog_count(root, T0 + 2 * H) == 2
    assert world.tickets.backlog_count(root, T0) == 0
    assert world.tickets.overdue_count(root) == 0  # second is pending: clock stopped
    assert world.tickets.overdue_count(root, T0 + 80 * H) == 1  # first, before it was resolved
    assert world.tickets.overdue_count(world.people["bob"], T0 + 80 * H) == 0  # not visible


def test_backlog_growth_per_day_from_the_database(world: World) -> None:
    alice = world.people["alice"]
    first = open_ticket(world)  # Sat 12:00
    world.advance(24 * 3600)
    open_ticket(world)  # Sun 12:00
    world.tickets.change_status(alice, first.id, S.RESOLVED)
    rows = world.tickets.backlog_growth(
        world.people["root"], date(2024, 6, 1), date(2024, 6, 2), Bucket.DAY, "UTC"
    )
    assert [(r.start, r.created, r.resolved, r.backlog_start, r.backlog_end) for r in rows] == [
        (date(2024, 6, 1), 1, 0, 0, 1),
        (date(2024, 6, 2), 1, 1, 1, 1),
    ]


def test_the_auto_close_closes_tickets_resolved_a_week_ago_only(world: World) -> None:
    alice = world.people["alice"]
    old = open_ticket(world)
    world.tickets.change_status(alice, old.id, S.RESOLVED)
    world.advance(3 * 24 * 3600)
    recent = open_ticket(world)
    world.tickets.change_status(alice, recent.id, S.RESOLVED)
    still_open = open_ticket(world)
    world.advance(4 * 24 * 3600)
    assert world.tickets.close_resolved() == [old.id]
    assert world.tickets.close_resolved() == []
    closed = world.tickets.get(alice, old.id)
    assert closed.status is S.CLOSED
    assert world.tickets.get(alice, recent.id).status is S.RESOLVED
    assert world.tickets.get(alice, still_open.id).status is S.NEW
    last = world.tickets.history(alice, old.id)[-1]
    assert (last.kind, last.status, last.actor_user_id) == ("status", S.CLOSED, None)


def test_the_screen_pop_lists_the_callers_open_tickets(
    world: World, db_sessions: sessionmaker[Session]
) -> None:
    bob = world.people["bob"]
    done = open_ticket(world, who="bob", customer="pool")
    world.tickets.change_status(bob, done.id, S.RESOLVED)
    waiting = open_ticket(world, who="bob", customer="pool")
    pop = lookup_caller(db_sessions, "13800138000", "CN", viewer=bob, open_tickets=open_tickets_of)
    assert pop is not None
    assert [(t.id, t.status, t.subject) for t in pop.open_tickets] == [
        (waiting.id, "new", "Printer broken")
    ]
    assert pop.open_tickets[0].resolution_due_at == (T0 + 72 * H).isoformat()


def test_backlog_growth_of_a_later_window_counts_older_tickets_right(world: World) -> None:
    alice = world.people["alice"]
    done_early = open_ticket(world)  # Sat 1 Jun, resolved the same day
    world.tickets.change_status(alice, done_early.id, S.RESOLVED)
    open_ticket(world)  # Sat 1 Jun, open throughout
    closed_later = open_ticket(world)  # Sat 1 Jun, resolved inside the window
    world.advance(3 * 24 * 3600)  # Tue 4 Jun 12:00
    world.tickets.change_status(alice, closed_later.id, S.RESOLVED)
    open_ticket(world)  # Tue 4 Jun
    rows = world.tickets.backlog_growth(
        world.people["root"], date(2024, 6, 4), date(2024, 6, 4), Bucket.DAY, "UTC"
    )
    row = rows[0]
    assert (row.backlog_start, row.created, row.resolved, row.backlog_end) == (2, 1, 1, 2)
    assert row.overdue_end == 1  # still_open: created Sat noon, 72 h passed Tue noon
    assert world.tickets.overdue_count(world.people["root"], T0 + 80 * H) == 1
