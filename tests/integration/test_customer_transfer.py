"""Transferring customers between owners, on SQLite and PostgreSQL: all or selected, audited."""

from __future__ import annotations

import pytest
from crm_support import Crm
from sqlalchemy.orm import Session, sessionmaker

from crm_core.audit import audit_entries
from crm_core.customer_errors import CustomerNotFound, CustomerUserNotFound, NotAllowed
from crm_core.customer_rules import CustomerDraft
from crm_core.customer_search import CustomerQuery
from crm_core.customer_transfer import InvalidTransfer
from crm_core.users import Role

pytestmark = pytest.mark.integration


@pytest.fixture
def crm(db_sessions: sessionmaker[Session]) -> Crm:
    crm = Crm(db_sessions)
    sup = crm.user("sup", Role.SUPERVISOR)
    crm.team("sales", sup, crm.user("leaver"), crm.user("heir"))
    crm.user("outsider")
    crm.user("root", Role.ADMIN)
    return crm


def _customers_of(crm: Crm, name: str, count: int) -> list[int]:
    owner = crm.people[name]
    return [crm.customers.create(owner, CustomerDraft(name=f"{name} {i}")).id for i in range(count)]


def test_given_leaving_user_when_all_transferred_then_heir_owns_them_with_history(crm: Crm):
    p = crm.people
    ids = _customers_of(crm, "leaver", 3)
    crm.timeline.add_note(p["leaver"], ids[0], "promised a discount")
    crm.clock.advance(3600)
    result = crm.transfers.transfer(p["sup"], p["leaver"].id, p["heir"].id)
    assert result.customer_ids == tuple(ids)
    heir_view = crm.customers.search(p["heir"], CustomerQuery())
    assert sorted(c.id for c in heir_view.items) == ids
    assert crm.customers.search(p["leaver"], CustomerQuery()).total == 0
    items = crm.timeline.read(p["heir"], ids[0]).items
    assert [i.summary for i in items] == [
        "owner changed from leaver to heir",
        "promised a discount",
        "customer created",
    ]
    with crm.sessions() as session:
        [entry] = audit_entries(session, "customer.transfer")
    assert entry.id == result.audit_id
    assert entry.actor_user_id == p["sup"].id
    assert entry.data == {
        "from_user_id": p["leaver"].id,
        "to_user_id": p["heir"].id,
        "selected": False,
        "customer_ids": ids,
    }


def test_selected_customers_only_move_those(crm: Crm):
    p = crm.people
    ids = _customers_of(crm, "leaver", 3)
    crm.transfers.transfer(p["root"], p["leaver"].id, p["heir"].id, [ids[2], ids[0]])
    assert [c.id for c in crm.customers.search(p["leaver"], CustomerQuery()).items] == [ids[1]]


def test_selection_with_a_customer_of_someone_else_moves_nothing(crm: Crm):
    p = crm.people
    ids = _customers_of(crm, "leaver", 2)
    foreign = _customers_of(crm, "outsider", 1)
    with pytest.raises(InvalidTransfer, match=str(foreign[0])):
        crm.transfers.transfer(p["root"], p["leaver"].id, p["heir"].id, [ids[0], foreign[0]])
    assert crm.customers.search(p["leaver"], CustomerQuery()).total == 2
    with crm.sessions() as session:
        assert audit_entries(session, "customer.transfer") == []


def test_agents_may_not_transfer_and_supervisors_only_within_their_team(crm: Crm):
    p = crm.people
    _customers_of(crm, "leaver", 1)
    with pytest.raises(NotAllowed):
        crm.transfers.transfer(p["heir"], p["leaver"].id, p["heir"].id)
    with pytest.raises(NotAllowed):
        crm.transfers.transfer(p["sup"], p["leaver"].id, p["outsider"].id)
    assert crm.transfers.transfer(p["root"], p["leaver"].id, p["outsider"].id).customer_ids


def test_transfer_to_an_inactive_or_missing_user_or_oneself_is_refused(crm: Crm):
    p = crm.people
    ids = _customers_of(crm, "leaver", 1)
    crm.users.deactivate(p["heir"].id)
    with pytest.raises(CustomerUserNotFound):
        crm.transfers.transfer(p["root"], p["leaver"].id, p["heir"].id)
    with pytest.raises(CustomerUserNotFound):
        crm.transfers.transfer(p["root"], p["leaver"].id, 9999)
    with pytest.raises(InvalidTransfer):
        crm.transfers.transfer(p["root"], p["leaver"].id, p["leaver"].id)
    assert crm.customers.get(p["leaver"], ids[0]).summary.owner_user_id == p["leaver"].id


def test_transfer_of_a_user_without_customers_is_an_empty_audited_move(crm: Crm):
    p = crm.people
    result = crm.transfers.transfer(p["root"], p["leaver"].id, p["heir"].id)
    assert result.customer_ids == ()
    with pytest.raises(CustomerNotFound):
        crm.customers.get(p["heir"], 1)
