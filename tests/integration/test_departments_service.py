"""DepartmentService on SQLite and PostgreSQL: names, members, refusals."""

from __future__ import annotations

import pytest
from crm_support import Crm
from sqlalchemy.orm import Session, sessionmaker

from crm_core.customer_errors import CustomerUserNotFound, DepartmentNotFound
from crm_core.departments import DepartmentExists

pytestmark = pytest.mark.integration


@pytest.fixture
def crm(db_sessions: sessionmaker[Session]) -> Crm:
    return Crm(db_sessions)


def test_create_add_members_and_list(crm: Crm):
    alice, bob = crm.user("alice"), crm.user("bob")
    sales = crm.departments.create("  Sales   East ")
    assert sales.name == "Sales East"
    crm.departments.add_member(sales.id, bob.id)
    crm.departments.add_member(sales.id, alice.id)
    again = crm.departments.add_member(sales.id, alice.id)
    assert again.member_ids == tuple(sorted((alice.id, bob.id)))
    crm.departments.create("Support")
    assert [d.name for d in crm.departments.list_departments()] == ["Sales East", "Support"]
    assert crm.departments.departments_of(alice.id) == [sales.id]
    assert crm.departments.remove_member(sales.id, bob.id).member_ids == (alice.id,)


def test_refusals(crm: Crm):
    crm.departments.create("Sales")
    with pytest.raises(DepartmentExists):
        crm.departments.create("Sales")
    with pytest.raises(ValueError, match="empty"):
        crm.departments.create("   ")
    with pytest.raises(ValueError, match="too long"):
        crm.departments.create("d" * 201)
    with pytest.raises(DepartmentNotFound):
        crm.departments.add_member(999, crm.user("alice").id)
    with pytest.raises(CustomerUserNotFound):
        crm.departments.add_member(crm.departments.list_departments()[0].id, 999)
    with pytest.raises(DepartmentNotFound):
        crm.departments.get(999)
