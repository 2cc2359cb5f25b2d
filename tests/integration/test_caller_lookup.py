"""Caller lookup for screen-pops on SQLite and PostgreSQL: ANI forms, visibility, history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from crm_support import Crm
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import to_datetime
from crm_core.caller_lookup import lookup_caller
from crm_core.customer_rules import ContactDraft, CustomerDraft
from crm_core.timeline import append_entry
from crm_core.users import Role

pytestmark = pytest.mark.integration


@pytest.fixture
def crm(db_sessions: sessionmaker[Session]) -> Crm:
    return Crm(db_sessions)


@pytest.mark.parametrize(
    "ani",
    [
        "13800138000",
        "+8613800138000",
        "8613800138000",
        "008613800138000",
        "+86 138 0013 8000",
        "sip:+8613800138000@trunk.example;user=phone",
        "１３８００１３８０００",
    ],
)
def test_ani_in_any_common_form_finds_the_customer(crm: Crm, ani: str):
    alice = crm.user("alice")
    made = crm.customers.create(
        alice, CustomerDraft(name="Acme", phones=("138-0013-8000",), vip_level=4)
    )
    pop = lookup_caller(crm.sessions, ani, "CN")
    assert pop is not None
    assert (pop.customer_id, pop.name, pop.vip_level, pop.e164) == (
        made.id,
        "Acme",
        4,
        "+8613800138000",
    )
    assert (pop.owner_user_id, pop.owner_name) == (alice.id, "alice")


@pytest.mark.parametrize("ani", ["01012345678", "1012345678", "+86 10 1234 5678", "861012345678"])
def test_landline_with_or_without_trunk_prefix_is_found(crm: Crm, ani: str):
    crm.customers.create(crm.user("alice"), CustomerDraft(name="Bank", phones=("(010) 1234-5678",)))
    pop = lookup_caller(crm.sessions, ani, "CN")
    assert pop is not None
    assert pop.name == "Bank"


@pytest.mark.parametrize("ani", ["", "anonymous", "13900000000", "12"])
def test_unknown_or_unusable_ani_finds_nothing(crm: Crm, ani: str):
    crm.customers.create(crm.user("alice"), CustomerDraft(name="Acme", phones=("13800138000",)))
    assert lookup_caller(crm.sessions, ani, "CN") is None


def test_a_contacts_number_pops_the_company_and_names_the_contact(crm: Crm):
    crm.customers.create(
        crm.user("alice"),
        CustomerDraft(
            name="Acme",
            kind="company",
            contacts=(ContactDraft("Li Lei", phones=("13911112222",)),),
        ),
    )
    pop = lookup_caller(crm.sessions, "13911112222", "CN")
    assert pop is not None
    assert (pop.name, pop.contact_name) == ("Acme", "Li Lei")


def test_screen_pop_has_open_tickets_and_last_five_interactions(crm: Crm):
    alice = crm.user("alice")
    made = crm.customers.create(alice, CustomerDraft(name="Acme", phones=("13800138000",)))
    start = to_datetime(crm.clock.t)
    with crm.sessions.begin() as session:
        for i in range(7):
            append_entry(
                session,
                customer_id=made.id,
                kind="note",
                summary=f"n{i}",
                at=start + timedelta(minutes=i + 1),
            )
    seen: list[int] = []

    def open_tickets(session: Session, customer_id: int) -> list[str]:
        seen.append(customer_id)
        return ["T-1 printer broken"]

    pop = lookup_caller(crm.sessions, "13800138000", "CN", open_tickets=open_tickets)
    assert pop is not None
    assert seen == [made.id]
    assert pop.open_tickets == ("T-1 printer broken",)
    assert [i.summary for i in pop.last_interactions] == ["n6", "n5", "n4", "n3", "n2"]


def test_with_a_viewer_only_visible_customers_pop(crm: Crm):
    alice, bob = crm.user("alice"), crm.user("bob")
    crm.customers.create(alice, CustomerDraft(name="Private", phones=("13800138000",)))
    assert lookup_caller(crm.sessions, "13800138000", "CN", viewer=bob) is None
    assert lookup_caller(crm.sessions, "13800138000", "CN", viewer=alice) is not None
    assert lookup_caller(crm.sessions, "13800138000", "CN") is not None  # the system sees all


def test_shared_number_pops_the_highest_vip_and_counts_the_others(crm: Crm):
    sup = crm.user("sup", Role.SUPERVISOR)
    crm.customers.create(sup, CustomerDraft(name="Low", phones=("13800138000",), vip_level=1))
    crm.customers.create(
        sup,
        CustomerDraft(name="High", phones=("13800138000",), vip_level=5),
        override_duplicates=True,
    )
    pop = lookup_caller(crm.sessions, "13800138000", "CN")
    assert pop is not None
    assert (pop.name, pop.other_matches) == ("High", 1)


def test_lookup_reads_by_index_only_no_table_scan(sqlite_sessions: sessionmaker[Session]):
    """SQLite's plan for every statement of a lookup: searches by index or key, never a SCAN."""
    crm = Crm(sqlite_sessions)
    alice = crm.user("alice")
    crm.customers.create(alice, CustomerDraft(name="Acme", phones=("13800138000",)))
    engine = sqlite_sessions.kw["bind"]
    statements: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert lookup_caller(sqlite_sessions, "8613800138000", "CN", viewer=alice) is not None
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert len(statements) == 2  # candidates with owner and contact, then the timeline
    with engine.connect() as connection:
        for statement, parameters in statements:
            plan = [
                row[-1]
                for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            ]
            assert not [step for step in plan if step.startswith("SCAN")], (statement, plan)
